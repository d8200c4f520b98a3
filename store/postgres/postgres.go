// Package postgres is the store for several gateway instances: keys,
// users, revocations and the audit trail in PostgreSQL (pgx), with
// versioned migrations and changes pushed to every instance by
// LISTEN/NOTIFY.
package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authgate/authgate/store"
	"github.com/authgate/authgate/store/internal/sqlstore"
)

var migrations = []string{
	`CREATE TABLE keys (
		id TEXT PRIMARY KEY,
		name TEXT NOT NULL,
		environment TEXT NOT NULL,
		scopes TEXT NOT NULL,
		hash BYTEA NOT NULL UNIQUE,
		created BIGINT NOT NULL,
		expires BIGINT NOT NULL DEFAULT 0,
		revoked_at BIGINT NOT NULL DEFAULT 0,
		last_used BIGINT NOT NULL DEFAULT 0,
		replaced_by TEXT NOT NULL DEFAULT '',
		kind TEXT NOT NULL DEFAULT 'api'
	);
	CREATE TABLE users (
		name TEXT PRIMARY KEY,
		hash TEXT NOT NULL,
		scopes TEXT NOT NULL,
		created BIGINT NOT NULL,
		updated BIGINT NOT NULL
	);
	CREATE TABLE audit (
		seq BIGSERIAL PRIMARY KEY,
		time BIGINT NOT NULL,
		actor TEXT NOT NULL,
		action TEXT NOT NULL,
		subject TEXT NOT NULL,
		detail TEXT NOT NULL
	);`,
	// 2: a key's own quota.
	`ALTER TABLE keys ADD COLUMN quota_requests INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE keys ADD COLUMN quota_per BIGINT NOT NULL DEFAULT 0;`,
}

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	// Records are the keys, users and audit trail, through the queries
	// both SQL stores share.
	sqlstore.Records

	pool *pgxpool.Pool
	// channel carries this schema's changes; origin tells this Store's own
	// notifications from other instances'.
	channel string
	origin  string

	changes store.Changes
	// queryTimeout bounds every call; heartbeat is how often the
	// listening connection proves it is alive.
	queryTimeout, heartbeat time.Duration
	// downMu guards down and lost: changes cannot be followed while the
	// listener is not connected or its connection gives no sign of life;
	// lost says why, from the start of the outage.
	downMu sync.Mutex
	down   bool
	lost   error
	// lostAt is when the outage began; reconnects counts the outages
	// ended (the first connection is none).
	lostAt     time.Time
	reconnects atomic.Uint64
	onStream   func(problem error)

	stop      context.CancelFunc
	done      chan struct{}
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Options tune Open.
type Options struct {
	// MaxConns bounds the pool (default 8).
	MaxConns int32
	// QueryTimeout bounds every call, connecting included (default
	// store.DefaultQueryTimeout): a database that hangs without closing
	// the connection (a stalled pgbouncer, a partition) makes calls fail
	// with store.ErrUnavailable instead of hanging.
	QueryTimeout time.Duration
	// Heartbeat is how often the listening connection proves it is alive
	// when no change arrives (default store.DefaultHeartbeat); without a
	// proof for HeartbeatMisses of them, changes cannot be followed.
	Heartbeat time.Duration
	// ApplicationName names the connections in pg_stat_activity (at most
	// 63 bytes kept) unless the DSN gives application_name itself.
	ApplicationName string
	// NoMigrate leaves the schema alone: Open refuses a schema that is not
	// exactly the one this build knows (migrations then run as their own
	// step: Migrate, authgate store migrate).
	NoMigrate bool
	// OnStream hears every loss of the change stream (the problem) and
	// every recovery (nil), once each, on the listener's goroutine; it
	// must be quick.
	OnStream func(problem error)
}

// HeartbeatMisses heartbeats without an answer mean the change stream is
// lost.
const HeartbeatMisses = 3

// Open connects to dsn, migrates the schema (refusing a newer one) and
// starts listening for other instances' changes.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := poolConfig(dsn, opts.ApplicationName)
	if err != nil {
		return nil, err
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	} else {
		cfg.MaxConns = 8
	}
	s := &Store{queryTimeout: opts.QueryTimeout, heartbeat: opts.Heartbeat, done: make(chan struct{}), down: true,
		lost: errors.New("the change stream is not listening yet"), lostAt: time.Now(), onStream: opts.OnStream}
	if s.queryTimeout <= 0 {
		s.queryTimeout = store.DefaultQueryTimeout
	}
	if s.heartbeat <= 0 {
		s.heartbeat = store.DefaultHeartbeat
	}
	if cfg.ConnConfig.ConnectTimeout == 0 { // the DSN's connect_timeout wins
		cfg.ConnConfig.ConnectTimeout = s.queryTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", redact(err))
	}
	s.pool = pool
	s.Records = sqlstore.NewRecords(sqlstore.Driver{DB: database{conn{pool}, pool}, Classify: classify, Bound: s.bound,
		InWrite: s.notify, Committed: s.announce})
	if opts.NoMigrate {
		err = checkSchema(ctx, pool)
	} else {
		_, _, err = migrate(ctx, pool)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	var schema string
	qctx, cancel := s.bound(ctx)
	err = pool.QueryRow(qctx, `SELECT current_schema()`).Scan(&schema)
	cancel()
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", classify(err))
	}
	s.channel = "authgate_changes_" + schema
	origin := make([]byte, 8)
	rand.Read(origin)
	s.origin = hex.EncodeToString(origin)
	lctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	ready := make(chan struct{})
	go s.listen(lctx, ready)
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
	}
	return s, nil
}

// bound gives a call its deadline: the query timeout, or ctx's own if
// sooner.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.queryTimeout)
}

// redact drops a DSN's password from an error.
func redact(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "password="); i >= 0 {
		msg = msg[:i] + "password=…"
	}
	return errors.New(msg)
}

// poolConfig parses dsn and names its connections name, unless the DSN
// names them itself.
func poolConfig(dsn, name string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres DSN: %w", redact(err))
	}
	if name != "" && cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		if len(name) > maxApplicationName {
			name = name[:maxApplicationName]
		}
		cfg.ConnConfig.RuntimeParams["application_name"] = name
	}
	return cfg, nil
}

// maxApplicationName is what PostgreSQL keeps of application_name.
const maxApplicationName = 63

// migrateTimeout bounds migrating, waiting for another instance's
// migration included.
const migrateTimeout = 30 * time.Second

// Latest is the schema version this build knows.
func Latest() int { return len(migrations) }

// Migrate applies the migrations the schema of dsn (its search_path)
// lacks, under an advisory lock so that instances starting meanwhile
// wait, and returns the version before and after. A schema newer than
// this build knows is refused and left alone. name is the connection's
// application_name (unless the DSN gives one).
func Migrate(ctx context.Context, dsn, name string) (from, to int, err error) {
	err = withPool(ctx, dsn, name, func(pool *pgxpool.Pool) error {
		from, to, err = migrate(ctx, pool)
		return err
	})
	return from, to, err
}

// SchemaVersion is the version of dsn's schema: 0 when authgate never
// migrated it; compare with Latest.
func SchemaVersion(ctx context.Context, dsn, name string) (version int, err error) {
	err = withPool(ctx, dsn, name, func(pool *pgxpool.Pool) error {
		ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
		defer cancel()
		version, err = schemaVersion(ctx, pool)
		return err
	})
	return version, err
}

// withPool runs fn with a one-connection pool to dsn.
func withPool(ctx context.Context, dsn, name string, fn func(*pgxpool.Pool) error) error {
	cfg, err := poolConfig(dsn, name)
	if err != nil {
		return err
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("postgres: %w", redact(err))
	}
	defer pool.Close()
	return fn(pool)
}

// schemaVersion reads the version: 0 when there is no version table.
func schemaVersion(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('authgate_schema') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return 0, classifyPostgres(err)
	}
	var version int
	err := pool.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM authgate_schema`).Scan(&version)
	return version, classifyPostgres(err)
}

// classifyPostgres is classify, said to be PostgreSQL's.
func classifyPostgres(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("postgres: %w", classify(err))
}

// checkSchema refuses a schema that is not the one this build knows
// (store.migrate: never).
func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	v, err := schemaVersion(ctx, pool)
	switch {
	case err != nil:
		return err
	case v > Latest():
		return newerSchema(v)
	case v < Latest():
		return fmt.Errorf("postgres: database schema %d is older than this authgate needs (%d), and store.migrate is never: run authgate store migrate first", v, Latest())
	}
	return nil
}

func newerSchema(v int) error {
	return fmt.Errorf("postgres: database schema %d is newer than this authgate knows (%d): upgrade authgate", v, Latest())
}

// migrate applies the missing migrations in one transaction under an
// advisory lock, so that instances starting together migrate once.
func migrate(ctx context.Context, pool *pgxpool.Pool) (from, to int, err error) {
	ctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("postgres: %w", classify(err))
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(8224851)`); err != nil {
		return 0, 0, fmt.Errorf("postgres: %w", classify(err))
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS authgate_schema (version INT NOT NULL)`); err != nil {
		return 0, 0, fmt.Errorf("postgres: %w", classify(err))
	}
	var version int
	err = tx.QueryRow(ctx, `SELECT version FROM authgate_schema`).Scan(&version)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if _, err := tx.Exec(ctx, `INSERT INTO authgate_schema (version) VALUES (0)`); err != nil {
			return 0, 0, fmt.Errorf("postgres: %w", classify(err))
		}
	case err != nil:
		return 0, 0, fmt.Errorf("postgres: %w", classify(err))
	}
	if version > Latest() {
		return version, version, newerSchema(version)
	}
	for i := version; i < Latest(); i++ {
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			return version, version, fmt.Errorf("postgres: migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE authgate_schema SET version = $1`, Latest()); err != nil {
		return version, version, fmt.Errorf("postgres: %w", classify(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return version, version, classify(err)
	}
	return version, Latest(), nil
}

// Close stops listening and closes the pool; subscribers are told that
// changes can no longer be followed. It waits for the pool at most the
// query timeout: connections to a database that hangs finish closing in
// the background (pgx gives each up to 15 s to say goodbye).
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		<-s.done
		s.setDown(true, errors.New("the store is closed"))
		closed := make(chan struct{})
		go func() {
			s.pool.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(s.queryTimeout):
		}
	})
	return nil
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return classify(s.pool.Ping(ctx))
}

// Problem implements store.Store: the change stream lost (its connection
// gone, or silent past its heartbeats). Requests still ask the database,
// but no cached entry is used, and another instance's change is only
// seen once the stream is back; readiness says so.
func (s *Store) Problem() error {
	s.downMu.Lock()
	defer s.downMu.Unlock()
	if !s.down {
		return nil
	}
	return s.problem()
}

// problem says why changes are not followed, and since when (how stale
// another instance's view of this one may be); downMu held.
func (s *Store) problem() error {
	return fmt.Errorf("the change stream from PostgreSQL is lost since %s, %s ago (%v): cached keys and users are not used until it is back",
		s.lostAt.UTC().Format(time.RFC3339), time.Since(s.lostAt).Round(time.Second), s.lost)
}

// Reconnects counts the times the change stream came back after a loss
// (authgate_store_change_stream_reconnects_total).
func (s *Store) Reconnects() uint64 { return s.reconnects.Load() }

// Subscribe implements store.Store. A subscriber that comes while
// changes cannot be followed hears Unavailable at once.
func (s *Store) Subscribe(fn func(store.Change)) func() {
	s.downMu.Lock()
	defer s.downMu.Unlock()
	cancel := s.changes.Subscribe(fn)
	if s.down {
		fn(store.Change{Kind: store.Unavailable})
	}
	return cancel
}

// setDown records whether changes can be followed (why not: cause) and
// announces a transition: Unavailable when lost, AllChanged when back
// (changes may have been missed meanwhile: caches forget everything).
// It reports whether that changed anything.
func (s *Store) setDown(down bool, cause error) bool {
	s.downMu.Lock()
	defer s.downMu.Unlock()
	if s.down == down {
		return false
	}
	s.down = down
	if down {
		s.lost, s.lostAt = cause, time.Now()
		s.changes.Announce(store.Change{Kind: store.Unavailable})
	} else {
		s.lost = nil
		s.changes.Announce(store.Change{Kind: store.AllChanged})
	}
	return true
}

// tell passes a loss (its problem) or a recovery (nil) to OnStream.
func (s *Store) tell(problem error) {
	if s.onStream != nil {
		s.onStream(problem)
	}
}

// notice is a change's NOTIFY payload.
type notice struct {
	Origin  string `json:"o"`
	Action  string `json:"a"`
	Subject string `json:"s"`
}

// listen holds one connection that LISTENs for changes until ctx ends,
// reconnecting with backoff when it is lost or falls silent.
func (s *Store) listen(ctx context.Context, ready chan struct{}) {
	defer close(s.done)
	backoff := 100 * time.Millisecond
	// first: no connection listened yet; told: a loss was told and its
	// end not yet.
	first, told := true, false
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, func() {
			backoff = 100 * time.Millisecond
			if s.setDown(false, nil) && !first {
				s.reconnects.Add(1)
			}
			if told {
				s.tell(nil)
				told = false
			}
			if first {
				first = false
				close(ready)
			}
		})
		if ctx.Err() != nil {
			return
		}
		s.setDown(true, err)
		if !told {
			s.tell(s.Problem())
			told = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listenOnce LISTENs on one connection and hands on what arrives, until
// the connection fails or stays silent for HeartbeatMisses heartbeats:
// after a heartbeat without a notification, a round trip on the same
// connection proves that it (and the server behind it) still answers.
func (s *Store) listenOnce(ctx context.Context, up func()) error {
	actx, cancel := s.bound(ctx)
	defer cancel()
	conn, err := s.pool.Acquire(actx)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Release()
	c := conn.Conn()
	defer func() {
		// Never return a listening (or broken) connection to the pool.
		cctx, cancel := context.WithTimeout(context.Background(), s.queryTimeout)
		c.Close(cctx)
		cancel()
	}()
	if _, err := c.Exec(actx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return fmt.Errorf("LISTEN: %w", err)
	}
	up()
	alive := time.Now()
	for {
		wctx, cancel := context.WithDeadline(ctx, alive.Add(s.heartbeat))
		n, err := c.WaitForNotification(wctx)
		cancel()
		if n != nil {
			alive = time.Now()
			s.notified(n.Payload)
		}
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded):
			hctx, cancel := context.WithDeadline(ctx, alive.Add(HeartbeatMisses*s.heartbeat))
			_, err := c.Exec(hctx, "SELECT 1")
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("no heartbeat answered for %s: %w", HeartbeatMisses*s.heartbeat, err)
			}
			alive = time.Now()
		default:
			return err
		}
	}
}

// notified hands on a notification: another instance's change, or
// everything when the payload is not understood.
func (s *Store) notified(payload string) {
	var msg notice
	if json.Unmarshal([]byte(payload), &msg) != nil {
		s.changes.Announce(store.Change{Kind: store.AllChanged})
		return
	}
	if msg.Origin != s.origin {
		s.changes.Announce(store.ChangeOf(msg.Action, msg.Subject))
	}
}

// classify wraps err: no rows is store.ErrNotFound, a unique violation
// store.ErrExists, anything that is not an answer from the server (a
// connection, a timeout) store.ErrUnavailable.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == "23505" {
			return store.ErrExists
		}
		if strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57") || strings.HasPrefix(pe.Code, "53") {
			return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
		}
		return err
	}
	return fmt.Errorf("%w: %v", store.ErrUnavailable, err)
}
