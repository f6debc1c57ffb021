package gateway

import (
	"context"
	"fmt"

	"galaxy/galaxyctl/internal/subscribe"
	pushv1 "galaxy/galaxyctl/proto/galaxy/push/v1"
)

// Consume follows the backend's push stream with a subscriber built from
// cfg, dispatching every event to the client streams, until ctx is done (then
// it returns nil) or the subscriber gives up. The subscriber reconnects and
// resumes by cursor on its own. cfg.Handler, if set, sees each event before
// it is dispatched; its error ends Consume and the event is not dispatched.
func (s *Server) Consume(ctx context.Context, cfg subscribe.Config) error {
	observe := cfg.Handler
	cfg.Handler = func(ctx context.Context, ev *pushv1.PushEvent) error {
		if observe != nil {
			if err := observe(ctx, ev); err != nil {
				return err
			}
		}
		// Dispatch may wait for the slowest clients; meanwhile the
		// subscriber reads no further, and the backend's ring holds the
		// rest. It fails only once ctx is done or the gateway closed.
		return s.dispatch(ctx, ev)
	}
	sub, err := subscribe.New(cfg)
	if err != nil {
		return fmt.Errorf("gateway consume: %w", err)
	}
	return sub.Run(ctx)
}
