package httpstack

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"

	"connectrpc.com/connect"
	"connectrpc.com/grpchealth"
	"connectrpc.com/grpcreflect"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"galaxy/galaxyctl/proto/galaxy/gateway/v1/gatewayv1connect"
	"galaxy/galaxyctl/web"
)

// SigningKeyPath is where the gateway serves the public key that verifies
// its events: the base64 of the 32 raw Ed25519 bytes and a newline, the
// form tail --verify-key reads and WebCrypto imports as "raw".
const SigningKeyPath = "/.well-known/galaxy/signing-key"

// msgNoPage answers "/" without --web.
const msgNoPage = "galaxyctl serve: no page here (serve --web serves one); gRPC, Connect and gRPC-Web clients call /galaxy.gateway.v1.Gateway/Subscribe"

// Handler returns the stack's handler: every route, behind the guard and
// CORS.
func Handler(cfg Config) (http.Handler, error) {
	opts := []connect.HandlerOption{
		connect.WithReadMaxBytes(cfg.Limits.MaxRecvBytes),
		connect.WithCompressMinBytes(CompressMinBytes),
	}
	mux := http.NewServeMux()
	services := []string{grpchealth.HealthV1ServiceName, grpcreflect.ReflectV1ServiceName, grpcreflect.ReflectV1AlphaServiceName}
	if cfg.Gateway != nil {
		mux.Handle(gatewayv1connect.NewGatewayHandler(subscribeHandler{gw: cfg.Gateway, sendTimeout: cfg.Limits.SendTimeout}, opts...))
		mux.Handle("GET "+SigningKeyPath, keyHandler(cfg.PublicKey))
		services = append(services, gatewayv1connect.GatewayName)
	}
	if cfg.Health != nil {
		mux.Handle(grpchealth.NewHandler(healthChecker{cfg.Health}, opts...))
	}
	reflector := grpcreflect.NewStaticReflector(services...)
	mux.Handle(grpcreflect.NewHandlerV1(reflector, opts...))
	mux.Handle(grpcreflect.NewHandlerV1Alpha(reflector, opts...))
	if cfg.Web && cfg.Gateway != nil {
		page, err := web.Handler()
		if err != nil {
			return nil, err
		}
		for _, path := range web.Paths {
			mux.Handle("GET "+path, page)
		}
	} else {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { refuse(w, http.StatusNotFound, msgNoPage) })
	}
	return withCORS(withWriteControl(guard(mux)), cfg.CORSOrigins), nil
}

// keyHandler serves pub at SigningKeyPath. Not cached: an ephemeral key
// changes with every restart.
func keyHandler(pub []byte) http.Handler {
	body := base64.StdEncoding.EncodeToString(pub) + "\n"
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(body))
	})
}

// healthChecker answers connect's health service from grpc-go's, so both
// stacks report the same status, NOT_SERVING included while draining.
type healthChecker struct{ s *health.Server }

func (c healthChecker) Check(ctx context.Context, req *grpchealth.CheckRequest) (*grpchealth.CheckResponse, error) {
	resp, err := c.s.Check(ctx, &healthpb.HealthCheckRequest{Service: req.Service})
	if err != nil {
		if s, ok := status.FromError(err); ok {
			return nil, connect.NewError(connect.Code(s.Code()), errors.New(s.Message()))
		}
		return nil, err
	}
	return &grpchealth.CheckResponse{Status: grpchealth.Status(resp.GetStatus())}, nil
}
