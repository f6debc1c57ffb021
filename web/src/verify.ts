// Checking the gateway's signatures in the browser: Ed25519 over the
// deterministic protobuf encoding of the event with its signature cleared,
// verified with WebCrypto.
import { clone, toBinary } from "@bufbuild/protobuf";
import { GatewayEventSchema, type GatewayEvent } from "./gen/galaxy/gateway/v1/gateway_pb";

/** Where the gateway serves its public key: base64 of the 32 raw bytes. */
export const SIGNING_KEY_PATH = "/.well-known/galaxy/signing-key";

export interface SigningKey {
  key: CryptoKey;
  /** The key's base64, as served and as tail --verify-key reads it. */
  base64: string;
  /** "gateway": fetched from the gateway; "pinned": given in the URL. */
  source: "gateway" | "pinned";
}

/**
 * loadKey imports the pinned key (base64 from the URL fragment) or else
 * the one the gateway serves. A pinned key is the stronger check: a key
 * fetched from the gateway proves only that events come from whoever
 * serves this page.
 */
export async function loadKey(baseUrl: string, pinned: string): Promise<SigningKey> {
  let b64 = pinned.trim();
  let source: SigningKey["source"] = "pinned";
  if (!b64) {
    const url = new URL(SIGNING_KEY_PATH, baseUrl);
    const resp = await fetch(url, { cache: "no-store" });
    if (!resp.ok) {
      throw new Error(`${url.pathname}: HTTP ${resp.status} ${(await resp.text()).trim()}`);
    }
    b64 = (await resp.text()).trim();
    source = "gateway";
  }
  const raw = fromBase64(b64);
  if (raw === null || raw.length !== 32) {
    throw new Error(`signing key ${JSON.stringify(b64.slice(0, 60))} is not the base64 of 32 bytes`);
  }
  const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  return { key, base64: b64, source };
}

/** Verdict on one event's signature. */
export type Verdict = "valid" | "invalid" | "unsigned" | "unchecked";

export async function verify(key: CryptoKey | null, ev: GatewayEvent): Promise<Verdict> {
  if (ev.signature.length === 0) {
    return "unsigned";
  }
  if (key === null) {
    return "unchecked";
  }
  const unsigned = clone(GatewayEventSchema, ev);
  unsigned.signature = new Uint8Array(0);
  const signed = toBinary(GatewayEventSchema, unsigned);
  try {
    return (await crypto.subtle.verify({ name: "Ed25519" }, key, ev.signature, signed)) ? "valid" : "invalid";
  } catch {
    return "invalid";
  }
}

export function fromBase64(s: string): Uint8Array | null {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  } catch {
    return null;
  }
}

export function toBase64(b: Uint8Array): string {
  let bin = "";
  for (const x of b) {
    bin += String.fromCharCode(x);
  }
  return btoa(bin);
}
