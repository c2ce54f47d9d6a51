/*
 * chatload.c -- load generator for `chat serve`, speaking the real `chat` protocol v3
 * (docs/PROTOCOL.md of the project), so that the server's fan-out ceiling can be measured
 * without a JavaScript load process eating the CPU.  One process, one epoll loop.
 * Copied from ../shared/bench and kept in step with the protocol here: a `probe` is answered
 * with a `ping` at once, `stopping` makes a member log in again at once, and the welcome's
 * optional `burst`, `refillMs` and `timeoutMs` are read past (the benchmark runs with the
 * flood limits off, so there is nothing to pace to).
 *
 *   1. opens N member sockets, each bound to 127.0.0.1:0 and connected to the server
 *      (one socket for the member's whole session, as the spec wants), SO_RCVBUF 4 MiB;
 *   2. logs them in through a window of W logins at once: knock (padded to 256 bytes)
 *      -> challenge {cookie} -> hello {name, nonce, cookie} -> welcome {sid, seq, epoch};
 *      knock/hello again after 500 ms unanswered; a hello answered with a fresh challenge
 *      (expired cookie) goes again with the new cookie; events that overtake the welcome
 *      are kept and handled after it; names are <3 random letters><index>;
 *   3. every member's stream starts at its welcome (welcome.seq + 1, or the backlog), so
 *      the join storm is received, sequenced and repaired like any other events; the
 *      generator waits until the room is quiet (300 ms without a datagram) and every stream
 *      has caught up with the last join (members still behind when it is quiet are told the
 *      last seq, as the server's next tick would tell them 2 s later);
 *   4. S members (the first S) send numbered says {sid, id, base, text}: a send window of
 *      32 in flight, retransmission on RTO = SRTT + 4 RTTVAR (RFC 6298, Karn, only from says
 *      sent after the last retry, 100 ms - 4 s, initial 500 ms, the login round trip as the
 *      first sample), doubled per retry up to 4 s, at once on `waiting` (unless sent less
 *      than a round trip ago), given up after 10 s; -r R: R msgs/s in all, round robin over
 *      the senders; -r 0: as fast as the window allows; each text is B bytes of ASCII:
 *          T<16 hex: CLOCK_MONOTONIC ns when the message was made>S<8 hex: message number>xxx...
 *   5. every member hands room events over in seq order, exactly once: an event ahead of the
 *      next one is held (receive window 4096); every missing run is asked for with `nack`
 *      (at most 64 events each, 16 runs at once) right after the receive round that revealed
 *      it, then again every 150 ms until it arrives; `lost` skips; `tick` (same epoch) reveals
 *      a lost tail; `ping` after 2 s with nothing else sent; 6 s without a word from the
 *      server, or `unknown_session`: log in again (same name and nonce; a new epoch restarts
 *      the stream) and unacknowledged says go out again under the new session, same ids;
 *      datagrams of several LF-separated frames (the server packs events) are read frame by
 *      frame, in order; a datagram that is over 1200 bytes, not UTF-8, or has any frame
 *      that breaks the rules of sections 2-4 is dropped whole (`undecodable`);
 *   6. the proof layer (src/core/wire/proof.ts): every request with a sid (say, ping, nack,
 *      bye) goes out proven, 0xC6 || counter (8 bytes, big-endian) || tag (16) || frames, the
 *      tag the first 16 bytes of HMAC-SHA256(K, "m" || counter || SHA-256(frames)), K = HMAC-SHA256(the
 *      nonce's 16 hex digits, "chat/3 proof") made once per member at startup, the counter
 *      max(last + 1, wall-clock ms * 1000) as the reference client's; knock and hello go
 *      unproven.  The server's proofs are taken off but NOT checked: what is measured is the
 *      server's side, and a generator that checked a tag per datagram received would cost as
 *      much per datagram as the server (one HMAC per datagram SENT is what it pays).  As the
 *      reference client, it takes only challenges and login refusals from an unproven
 *      datagram; anything else there is ignored and counted (`unproven_ignored`);
 *   7. after the last ack, receivers catch up from what the server still sends (it acks a say
 *      before it fans the event out: under load most of the fan-out comes after the acks);
 *      once the room is quiet for 300 ms those still behind are told the last seq (again what
 *      a tick would say) and repair, for at most -D seconds; then ONE JSON line on stdout.
 *
 * Latency.  lat_*: from the time in the text to the kernel's arrival stamp (SO_TIMESTAMPNS)
 * of the datagram that let the message be handed over in order -- on loopback the moment the
 * server handed that member's copy to the kernel; free of this process's own scheduling.
 * read_lat_*: to when chatload read that datagram (taken once per recvmmsg call), the
 * definition udpload and bench/load.ts use; it includes the coalescing below.  Percentiles
 * come from log-linear histograms (256 sub-buckets per octave of 100 ns: < 0.4 % error);
 * the max is exact.
 *
 * CPU.  While traffic flows the receivers' sockets are read at most once per -c us (1000):
 * each wakeup then finds many sockets ready instead of one or two.  The senders' sockets sit
 * in a second epoll set that is waited on during that pause, so acks (and the offered load)
 * are handled at once.  Note that on loopback the receiver's behaviour shows up in the
 * server's CPU: waking a process blocked in epoll is paid by the sender of the datagram.
 * Generator CPU (getrusage) and, with -S PID, server CPU (/proc/PID/stat, all threads) are
 * taken over the active window: from the first send to the last snapshot taken while traffic
 * flowed (at most ~50 ms after the last datagram); the server's peak RSS is its VmHWM.
 * Kernel drops at our sockets and at the server's come from /proc/net/udp.
 *
 * Only 127.0.0.1.  Every phase has a time bound (login 60 s, settle 30 s, send -T s: the
 * duration + 20 s, or 60 s at full speed; drain -D s) and alarm() ends the process if
 * anything should hang past their sum + 15 s.  -t runs the scanner's self test.
 *
 * build: gcc -O2 -Wall -o chatload chatload.c -lm
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ protocol constants (PROTOCOL.md 5.1) */
#define MAX_DGRAM 1200          /* largest datagram either side sends or accepts */
#define MAX_PAYLOAD 1146        /* frames of one datagram: 1200 - seal (29) - proof (25) */
#define PROTOCOL_VERSION 3      /* every frame's "v" */
#define PROOF_MARK 0xC6         /* first byte of a proven datagram */
#define PROOF_BYTES 25          /* mark, counter (8), tag (16) */
#define PROOF_TAG_BYTES 16
#define KNOCK_BYTES 256
#define SEND_WINDOW 32
#define RECV_WINDOW 4096
#define WIN_WORDS (RECV_WINDOW / 64)
#define MAX_REPAIR 64
#define MAX_NACKS 16            /* missing runs asked for at once (as the reference client) */
#define MAX_TEXT 1000
#define MAX_NAME_BYTES 64
#define MAX_EARLY 1024          /* events held while the welcome is on its way */
#define MS 1000000ull
#define SEC 1000000000ull
#define RETRY_NS (500 * MS)
#define REJOIN_NS (1000 * MS)
#define INITIAL_RTO_NS (500 * MS)
#define MIN_RTO_NS (100 * MS)
#define MAX_RTO_NS (4000 * MS)
#define GIVE_UP_NS (10000 * MS)
#define HEARTBEAT_NS (2000 * MS)
#define SILENCE_NS (6000 * MS)
#define NACK_RETRY_NS (150 * MS)
#define SWEEP_NS (25 * MS)      /* the reference client's loop period */
#define MAX_SAFE 9007199254740991ull
#define MAX_U32 4294967295ull
#define TSLEN 26                /* "T" + 16 hex + "S" + 8 hex */

/* SHA-256's running state; an HMAC key as the states after its inner and outer pad blocks (see below) */
struct sha256 { uint32_t h[8]; uint64_t len; uint8_t buf[64]; };
struct hmac_key { uint32_t in[8], out[8]; };

/* the largest say: {"v":3,"type":"say","sid":"<32>","id":<10 digits>,"base":<10>,"text":"<B>"} */
#define SAY_BYTES(b) (105 + (b))
_Static_assert(SAY_BYTES(1000) <= MAX_PAYLOAD, "a say of the largest text fits one datagram");

/* ------------------------------------------------------------ generator constants */
#define RB 32                   /* recvmmsg batch */
#define RXBUF 1536
#define MAXEV 1024
#define MAXF 128                /* frames in one datagram (a valid one has < 40) */
#define OUTMAX 1024             /* datagrams queued before a sendmmsg flush */
#define SMB 64                  /* sendmmsg batch */
#define TABLE_BITS 18           /* events remembered for held (out-of-order) copies */
#define TABLE_SIZE (1u << TABLE_BITS)
#define QUIET_NS (300 * MS)     /* the join storm is over after this long without a datagram */
#define SNAP_NS (50 * MS)

/* ------------------------------------------------------------ options */
static int port = 8888;
static int N = 100, S = 1;
static long M = 1000;           /* messages per sender (count mode) */
static int B = 100;
static double R = 0, Dur = 0;
static double drain_s = 5.0, send_max_s = 0;
static int rcvbuf_req = 4 << 20;
static int login_window = 64;
static double login_max_s = 60.0, settle_max_s = 30.0;
static int server_pid = 0;
static int quiet = 0;
static int send_bye = 0;
static int coalesce_us = 1000;     /* -c: at most one receive round per this long while traffic flows */
static int pace_gran_us = 0;      /* -g: the pacer runs at most this often (0: each message exactly on time) */

/* ------------------------------------------------------------ time */
static inline uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * SEC + (uint64_t)t.tv_nsec;
}

static void die(const char *m) { perror(m); exit(1); }

/* ------------------------------------------------------------ counters */
static uint64_t c_datagrams, c_frames, c_undecodable, c_truncated, c_nacks, c_nacked_events, c_pings,
    c_lost_events, c_skipped_unrepaired, c_dups, c_own_echo, c_dup_deliveries, c_foreign, c_events,
    c_too_far, c_table_miss, c_retrans, c_waiting, c_hurried, c_gave_up, c_acked, c_acked_noseq,
    c_repeat_acks, c_refused_says, c_says_sent, c_dg_sent, c_send_err, c_send_eagain, c_recv_err,
    c_ticks, c_relogins, c_epoch_changes, c_login_failed, c_login_retries, c_challenges_again,
    c_leaves, c_delivered, c_bad_payload, c_unproven_ignored;
static uint64_t refused_by[32];
static const char *REASONS[] = { "name_taken", "bad_name", "unknown_session", "bad_token", "stale", "replayed",
    "no_such_member", "too_long", "rate_limited", "room_full", "too_many_logins", "banned", "kicked",
    "passphrase_required", "bad_passphrase", "bad_room", "no_such_room", "too_many_rooms", "version" };
#define NREASONS (int)(sizeof REASONS / sizeof REASONS[0])
enum { RS_NAME_TAKEN, RS_BAD_NAME, RS_UNKNOWN_SESSION, RS_BAD_TOKEN, RS_STALE, RS_REPLAYED, RS_NO_SUCH_MEMBER,
    RS_TOO_LONG, RS_RATE_LIMITED, RS_ROOM_FULL, RS_TOO_MANY_LOGINS, RS_BANNED, RS_KICKED };

/* ------------------------------------------------------------ latency histogram */
#define H_SUB 256
#define H_OCT 33
struct histo { uint64_t b[H_OCT * H_SUB]; uint64_t n, max; };
static struct histo H_read, H_arr;

static inline void hadd(struct histo *h, uint64_t ns)
{
    if (ns > h->max) h->max = ns;
    uint64_t v = ns / 100; /* 100 ns units */
    unsigned idx;
    if (v < H_SUB) idx = (unsigned)v;
    else {
        if (v >= (1ull << 40)) v = (1ull << 40) - 1;
        int e = 63 - __builtin_clzll(v);          /* >= 8 */
        unsigned sub = (unsigned)((v >> (e - 8)) & (H_SUB - 1));
        idx = (unsigned)(e - 7) * H_SUB + sub;
    }
    h->b[idx]++;
    h->n++;
}

/* upper edge of bucket idx, in us */
static double bucket_us(unsigned idx)
{
    if (idx < H_SUB) return (double)(idx + 1) * 0.1;
    unsigned e = idx / H_SUB + 7, sub = idx % H_SUB;
    double lo = ldexp((double)(H_SUB + sub), (int)e - 8);
    return (lo + ldexp(1.0, (int)e - 8)) * 0.1;
}

static double pct_us(const struct histo *h, double p)
{
    if (!h->n) return -1;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->n);
    if (rank < 1) rank = 1;
    uint64_t acc = 0;
    for (unsigned i = 0; i < H_OCT * H_SUB; i++) {
        acc += h->b[i];
        if (acc >= rank) {
            double u = bucket_us(i), mx = (double)h->max / 1000.0;
            return u > mx ? mx : u;
        }
    }
    return (double)h->max / 1000.0;
}

/* ------------------------------------------------------------ events as remembered */
enum { T_NONE, T_CHALLENGE, T_WELCOME, T_REFUSED, T_ACK, T_WAITING, T_LOST, T_TICK, T_MEMBERS,
    T_JOIN, T_MESSAGE, T_LEAVE, T_ADMIN, T_ACTION, T_PRIVATE, T_HIDDEN, T_PROBE, T_STOPPING, T_REQUEST, T_RENAME,
    T_AWAY_NOTICE };

struct evinfo {
    uint64_t stamp;   /* embedded send time (messages of ours) */
    uint32_t msgno;
    int32_t who;      /* member index of `from` (message, action) or `name` (join, leave); -1: not ours */
    uint8_t type;
    uint8_t stamped;  /* a message of this run, text parsed */
};

struct tslot { uint64_t seq; struct evinfo ei; };
static struct tslot *table; /* by seq % TABLE_SIZE: what a held event was, for when it is handed over */

/* ------------------------------------------------------------ members */
enum { M_IDLE, M_JOINING, M_IN, M_LOST, M_DEAD };

struct early { uint64_t seq; struct evinfo ei; };

struct member {
    int fd;
    uint16_t port;
    uint8_t state, has_cookie, lagging, repair_now, nasked, namelen;
    int hellos;
    int sender;                   /* index into senders[], -1 */
    char name[24];
    char nonce[17];
    char cookie[33];
    char sid[33];
    char epoch[17];
    struct hmac_key key;          /* the proof key of its sessions (from its nonce) */
    uint64_t counter;             /* the last proof counter it used */
    uint64_t last_hello, last_sent, last_heard, login_started;
    uint64_t next;                /* next seq to hand over; 0: stream not started */
    uint64_t known;               /* highest seq known to exist */
    uint64_t history_end;         /* events up to here are the backlog */
    uint64_t start;               /* first seq of the stream: anything before is not this member's */
    uint64_t held[WIN_WORDS];     /* ring: bit seq % RECV_WINDOW, for seq in [next, next + RECV_WINDOW) */
    uint64_t *own;                /* senders: their own seqs (from acks), same ring */
    struct { uint64_t from, at; } asked[MAX_NACKS * 2];
    struct early *early;
    int nearly;
    uint64_t delivered;
};
static struct member *Mb;
static int *port2m;               /* local port -> member */
static char tag[4];               /* names are <tag><index> */

/* ------------------------------------------------------------ senders (outbox) */
struct item {
    uint64_t queued, stamp, sent_at, rto; /* sent_at: 0 never sent; 1 due now (forced) */
    uint32_t id, msgno;
    uint16_t tries;
    uint8_t done;
};
struct sender {
    int mi;
    struct item *q;
    size_t cap, head, tail;       /* q[head..tail) (mod cap): consecutive ids */
    uint32_t next_id;
    size_t live;
    long created, quota;
    double srtt, rttvar;
    int has_rtt;
    uint64_t last_retry_at, next_due;
};
static struct sender *Sd;

/* ------------------------------------------------------------ run state */
enum { P_LOGIN, P_SETTLE, P_SEND, P_DRAIN, P_DONE };
static int phase;
static int ep, ep_send;          /* all members' sockets; the senders' alone (read at once while coalescing) */
static int joined, joining, next_login;
static uint64_t room_seq;         /* highest seq a welcome or an ack told us */
static uint64_t last_seq;         /* highest seq an ack gave a message of ours */
static uint64_t first_knock, last_welcome, last_rx, last_delivery, first_send, last_ack, last_tx;
static uint64_t hard_deadline;
static uint64_t total;            /* messages to send in all */
static uint64_t created_total;
static int count_mode;
static uint64_t t0_pace;
static double pace_ns;
static uint64_t *seenmsg;         /* per receiver: message numbers delivered (exactly-once check) */
static size_t seen_words;
static int *lagging_list, nlagging;
static int *repair_list, nrepair;
static char *msgbody;             /* the x padding */
static int deadline_hit;
static uint64_t c_skipped_msgs, c_before_start, c_quiet_reveals;
static uint64_t c_epoll_calls, c_epoll_ready, c_recv_calls;
static int64_t real_off;          /* CLOCK_REALTIME - CLOCK_MONOTONIC: kernel timestamps are realtime */
static uint64_t rx_arrival;       /* kernel arrival time of the datagram being handled (monotonic ns) */
static uint64_t c_no_ts;
static int *pend_list, npend;     /* sockets left with data by the bounded read loop (edge-triggered epoll) */
static uint8_t *pending; /* in the send window: how the receive side is batched */   /* rate mode: messages of a sender that is not in (never made) */
static uint64_t send_lag_max;     /* rate mode: how late the pacer made a message, at worst */

/* ------------------------------------------------------------ small helpers */
static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}
#define PUT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) + sizeof(lit) - 1)
static inline char *put_mem(char *p, const char *s, size_t n) { memcpy(p, s, n); return p + n; }
static const char HEX[] = "0123456789abcdef";
static inline char *put_hex(char *p, uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) { p[i] = HEX[v & 15]; v >>= 4; }
    return p + digits;
}
static inline int hexv(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
static int is_lower_hex(const char *s, int n, int want)
{
    if (n != want) return 0;
    for (int i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* ------------------------------------------------------------ SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104)
 * Here rather than from a library: CI builds this file with cc alone.  An HMAC key is kept as the two
 * SHA-256 states after its inner and outer pad blocks, so a tag costs the blocks of its message + 2. */
static const uint32_t SHA_IV[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
static const uint32_t SHA_K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2 };
#define ROR32(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void sha256_block(uint32_t h[8], const uint8_t *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, h, sizeof v);
    for (int i = 0; i < 64; i++) { /* v: a b c d e f g h */
        uint32_t t1 = v[7] + (ROR32(v[4], 6) ^ ROR32(v[4], 11) ^ ROR32(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) + SHA_K[i] + w[i];
        uint32_t t2 = (ROR32(v[0], 2) ^ ROR32(v[0], 13) ^ ROR32(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++) h[i] += v[i];
}

static void sha256_init(struct sha256 *s, const uint32_t h[8], uint64_t len)
{
    memcpy(s->h, h, sizeof s->h);
    s->len = len;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    size_t have = (size_t)(s->len % 64);
    s->len += n;
    if (have) {
        size_t take = 64 - have < n ? 64 - have : n;
        memcpy(s->buf + have, p, take);
        p += take;
        n -= take;
        if (have + take < 64) return;
        sha256_block(s->h, s->buf);
    }
    for (; n >= 64; p += 64, n -= 64) sha256_block(s->h, p);
    memcpy(s->buf, p, n);
}

static void sha256_final(struct sha256 *s, uint8_t out[32])
{
    static const uint8_t pad[64] = { 0x80 };
    uint64_t bits = s->len * 8;
    uint8_t lb[8];
    for (int i = 0; i < 8; i++) lb[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_update(s, pad, (size_t)((s->len % 64 < 56 ? 56 : 120) - s->len % 64));
    sha256_update(s, lb, 8);
    for (int i = 0; i < 8; i++) { out[4 * i] = (uint8_t)(s->h[i] >> 24); out[4 * i + 1] = (uint8_t)(s->h[i] >> 16); out[4 * i + 2] = (uint8_t)(s->h[i] >> 8); out[4 * i + 3] = (uint8_t)s->h[i]; }
}

static void hmac_key_init(struct hmac_key *k, const void *key, size_t n)
{
    uint8_t kb[64] = { 0 }, blk[64];
    if (n > 64) { struct sha256 s; sha256_init(&s, SHA_IV, 0); sha256_update(&s, key, n); sha256_final(&s, kb); }
    else memcpy(kb, key, n);
    for (int i = 0; i < 64; i++) blk[i] = kb[i] ^ 0x36;
    memcpy(k->in, SHA_IV, sizeof k->in);
    sha256_block(k->in, blk);
    for (int i = 0; i < 64; i++) blk[i] = kb[i] ^ 0x5c;
    memcpy(k->out, SHA_IV, sizeof k->out);
    sha256_block(k->out, blk);
}

/* HMAC-SHA256 of a || b (b may be empty) */
static void hmac256(const struct hmac_key *k, const void *a, size_t an, const void *b, size_t bn, uint8_t out[32])
{
    struct sha256 s;
    uint8_t inner[32];
    sha256_init(&s, k->in, 64);
    sha256_update(&s, a, an);
    if (bn) sha256_update(&s, b, bn);
    sha256_final(&s, inner);
    sha256_init(&s, k->out, 64);
    sha256_update(&s, inner, 32);
    sha256_final(&s, out);
}

/* ------------------------------------------------------------ the proof layer (src/core/wire/proof.ts) */
static void proof_key(struct hmac_key *k, const char *nonce, size_t n)
{
    static const char LABEL[] = "chat/3 proof";
    struct hmac_key nk;
    uint8_t key[32];
    hmac_key_init(&nk, nonce, n);              /* keyed with the nonce's ASCII hex digits */
    hmac256(&nk, LABEL, sizeof LABEL - 1, NULL, 0, key);
    hmac_key_init(k, key, sizeof key);
}

/* b[0, PROOF_BYTES) := mark || counter || tag, for the body_len bytes of frames that follow; sender 's' or 'm' */
static void prove_at(const struct hmac_key *k, uint8_t sender, uint64_t counter, uint8_t *b, size_t body_len)
{
    uint8_t mac[32], digest[32];
    struct sha256 s;
    sha256_init(&s, SHA_IV, 0);
    sha256_update(&s, b + PROOF_BYTES, body_len);
    sha256_final(&s, digest);
    b[0] = sender; /* the tag covers sender || counter || SHA-256(body): the sender byte stands in the mark's place meanwhile */
    for (int i = 0; i < 8; i++) b[1 + i] = (uint8_t)(counter >> (56 - 8 * i));
    hmac256(k, b, 9, digest, sizeof digest, mac);
    b[0] = PROOF_MARK;
    memcpy(b + 9, mac, PROOF_TAG_BYTES);
}

/* ------------------------------------------------------------ UTF-8 validation (as TextDecoder fatal) */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (!(w & 0x8080808080808080ull)) { i += 8; continue; }
        }
        unsigned c = s[i];
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) {
            if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (i + 2 >= n) return 0;
            unsigned c1 = s[i + 1];
            if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
            if (c == 0xE0 && c1 < 0xA0) return 0;   /* overlong */
            if (c == 0xED && c1 > 0x9F) return 0;   /* surrogates */
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (i + 3 >= n) return 0;
            unsigned c1 = s[i + 1];
            if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80) return 0;
            if (c == 0xF0 && c1 < 0x90) return 0;
            if (c == 0xF4 && c1 > 0x8F) return 0;
            i += 4;
        } else
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ the JSON scanner */
enum { KN_NONE, KN_STR, KN_NUM, KN_NUMBAD, KN_ARR, KN_OBJ, KN_BOOL, KN_NULL };
enum { K_V, K_TYPE, K_SEQ, K_TS, K_FROM, K_TO, K_TEXT, K_NAME, K_REASON, K_ID, K_COUNT, K_SID, K_COOKIE,
    K_SALT, K_EPOCH, K_BACKLOG, K_MEMBERS, K_NAMES, K_TOTAL, K_NEXT, NKEYS };
struct str { const char *p; int n; };
struct frame {
    uint8_t type;
    uint8_t kind[NKEYS];
    uint64_t num[NKEYS];
    struct str s[NKEYS];
};

static int key_id(const char *k, int n)
{
    switch (n) {
    case 1: if (k[0] == 'v') return K_V; break;
    case 2:
        if (k[0] == 't' && k[1] == 's') return K_TS;
        if (k[0] == 't' && k[1] == 'o') return K_TO;
        if (k[0] == 'i' && k[1] == 'd') return K_ID;
        break;
    case 3:
        if (!memcmp(k, "seq", 3)) return K_SEQ;
        if (!memcmp(k, "sid", 3)) return K_SID;
        break;
    case 4:
        if (!memcmp(k, "type", 4)) return K_TYPE;
        if (!memcmp(k, "from", 4)) return K_FROM;
        if (!memcmp(k, "text", 4)) return K_TEXT;
        if (!memcmp(k, "name", 4)) return K_NAME;
        if (!memcmp(k, "salt", 4)) return K_SALT;
        if (!memcmp(k, "next", 4)) return K_NEXT;
        break;
    case 5:
        if (!memcmp(k, "count", 5)) return K_COUNT;
        if (!memcmp(k, "epoch", 5)) return K_EPOCH;
        if (!memcmp(k, "names", 5)) return K_NAMES;
        if (!memcmp(k, "total", 5)) return K_TOTAL;
        break;
    case 6:
        if (!memcmp(k, "reason", 6)) return K_REASON;
        if (!memcmp(k, "cookie", 6)) return K_COOKIE;
        break;
    case 7:
        if (!memcmp(k, "backlog", 7)) return K_BACKLOG;
        if (!memcmp(k, "members", 7)) return K_MEMBERS;
        break;
    }
    return -1;
}

static int type_id(const char *t, int n)
{
    /* the hot ones first, without a table walk */
    if (n == 7 && !memcmp(t, "message", 7)) return T_MESSAGE;
    if (n == 3 && !memcmp(t, "ack", 3)) return T_ACK;
    if (n == 4 && !memcmp(t, "join", 4)) return T_JOIN;
    static const struct { const char *s; int t; } T[] = {
        { "challenge", T_CHALLENGE }, { "welcome", T_WELCOME }, { "refused", T_REFUSED }, { "ack", T_ACK },
        { "waiting", T_WAITING }, { "lost", T_LOST }, { "tick", T_TICK }, { "members", T_MEMBERS },
        { "join", T_JOIN }, { "message", T_MESSAGE }, { "leave", T_LEAVE }, { "admin", T_ADMIN },
        { "action", T_ACTION }, { "private", T_PRIVATE }, { "hidden", T_HIDDEN },
        { "probe", T_PROBE }, { "stopping", T_STOPPING }, { "rename", T_RENAME }, { "away_notice", T_AWAY_NOTICE },
        /* requests: valid frames that only the server should receive; a member ignores them */
        { "knock", T_REQUEST }, { "hello", T_REQUEST }, { "say", T_REQUEST }, { "ping", T_REQUEST },
        { "nack", T_REQUEST }, { "bye", T_REQUEST }, { "names", T_REQUEST }, { "announce", T_REQUEST },
        { "kick", T_REQUEST }, { "ban", T_REQUEST }, { "who", T_REQUEST }, { "nick", T_REQUEST }, { "away", T_REQUEST },
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++)
        if ((int)strlen(T[i].s) == n && !memcmp(T[i].s, t, (size_t)n)) return T[i].t;
    return T_NONE;
}

static inline const char *ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) p++; /* LF never occurs inside a frame */
    return p;
}

static inline char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) *o++ = (char)cp;
    else if (cp < 0x800) { *o++ = (char)(0xC0 | (cp >> 6)); *o++ = (char)(0x80 | (cp & 63)); }
    else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12)); *o++ = (char)(0x80 | ((cp >> 6) & 63)); *o++ = (char)(0x80 | (cp & 63));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18)); *o++ = (char)(0x80 | ((cp >> 12) & 63));
        *o++ = (char)(0x80 | ((cp >> 6) & 63)); *o++ = (char)(0x80 | (cp & 63));
    }
    return o;
}

static int hex4(const char *p, const char *e, unsigned *out)
{
    if (e - p < 4) return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexv((unsigned char)p[i]);
        if (h < 0) return -1;
        v = (v << 4) | (unsigned)h;
    }
    *out = v;
    return 0;
}

/* A JSON string body (p after the opening quote). With `o`: decoded into o (never longer than the
 * source). Returns the byte after the closing quote, or NULL. */
static const char *json_string(const char *p, const char *e, char *o, int *outlen)
{
    int n = 0; /* decoded bytes, counted also when not written */
    while (p < e) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            if (outlen) *outlen = n;
            return p + 1;
        }
        if (c < 0x20) return NULL;
        if (c != '\\') {
            if (o) *o++ = (char)c;
            n++;
            p++;
            continue;
        }
        if (++p >= e) return NULL;
        unsigned cp;
        switch (*p) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = 8; break;
        case 'f': cp = 12; break;
        case 'n': cp = 10; break;
        case 'r': cp = 13; break;
        case 't': cp = 9; break;
        case 'u':
            if (hex4(p + 1, e, &cp)) return NULL;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && e - p >= 7 && p[1] == '\\' && p[2] == 'u') {
                unsigned lo;
                if (!hex4(p + 3, e, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD; /* a lone surrogate: as TextEncoder writes it */
            break;
        default: return NULL;
        }
        p++;
        n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (o) o = put_utf8(o, cp);
    }
    return NULL;
}

/* the first '"', '\\' or control character in [p, e), eight bytes at a time */
static inline const char *scan_special(const char *p, const char *e)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (e - p >= 8) {
        uint64_t w, q, b;
        memcpy(&w, p, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        uint64_t t = (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & high;
        if (t) return p + (__builtin_ctzll(t) >> 3); /* the lowest flagged byte is always a true one */
        p += 8;
    }
    while (p < e && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
    return p;
}

static const char *json_number(const char *p, const char *e, uint8_t *kind, uint64_t *out)
{
    const char *s = p;
    int neg = 0, frac = 0, ex = 0;
    if (p < e && *p == '-') { neg = 1; p++; }
    if (p >= e) return NULL;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (p < e && *p >= '0' && *p <= '9') p++;
    else return NULL;
    if (p < e && *p == '.') {
        p++;
        if (p >= e || *p < '0' || *p > '9') return NULL;
        while (p < e && *p >= '0' && *p <= '9') p++;
        frac = 1;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        if (p >= e || *p < '0' || *p > '9') return NULL;
        while (p < e && *p >= '0' && *p <= '9') p++;
        ex = 1;
    }
    size_t len = (size_t)(p - s);
    if (!neg && !frac && !ex && len <= 16) {
        uint64_t v = 0;
        for (const char *q = s; q < p; q++) v = v * 10 + (uint64_t)(*q - '0');
        *kind = v <= MAX_SAFE ? KN_NUM : KN_NUMBAD;
        *out = v;
        return p;
    }
    /* "a receiver accepts any JSON number that is an integer in range" */
    char buf[400];
    if (len >= sizeof buf) { *kind = KN_NUMBAD; return p; }
    memcpy(buf, s, len);
    buf[len] = 0;
    double d = strtod(buf, NULL);
    if (d >= 0 && d <= (double)MAX_SAFE && d == floor(d)) { *kind = KN_NUM; *out = (uint64_t)d; }
    else *kind = KN_NUMBAD;
    return p;
}

static const char *json_skip(const char *p, const char *e, int depth);

static const char *json_array(const char *p, const char *e, int depth, int strings_only, int *ok)
{
    /* p after '[' */
    p = ws(p, e);
    if (p < e && *p == ']') return p + 1;
    for (;;) {
        p = ws(p, e);
        if (p >= e) return NULL;
        if (*p == '"') {
            int n;
            p = json_string(p + 1, e, NULL, &n);
            if (p && (n < 1 || n > MAX_NAME_BYTES)) *ok = 0;
        } else {
            if (strings_only) *ok = 0;
            p = json_skip(p, e, depth + 1);
        }
        if (!p) return NULL;
        p = ws(p, e);
        if (p >= e) return NULL;
        if (*p == ',') { p++; continue; }
        if (*p == ']') return p + 1;
        return NULL;
    }
}

static const char *json_skip(const char *p, const char *e, int depth)
{
    if (depth > 32 || p >= e) return NULL;
    switch (*p) {
    case '"': return json_string(p + 1, e, NULL, NULL);
    case '[': { int ok = 1; return json_array(p + 1, e, depth, 0, &ok); }
    case '{':
        p = ws(p + 1, e);
        if (p < e && *p == '}') return p + 1;
        for (;;) {
            p = ws(p, e);
            if (p >= e || *p != '"') return NULL;
            p = json_string(p + 1, e, NULL, NULL);
            if (!p) return NULL;
            p = ws(p, e);
            if (p >= e || *p != ':') return NULL;
            p = json_skip(ws(p + 1, e), e, depth + 1);
            if (!p) return NULL;
            p = ws(p, e);
            if (p >= e) return NULL;
            if (*p == ',') { p++; continue; }
            if (*p == '}') return p + 1;
            return NULL;
        }
    case 't': return e - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
    case 'f': return e - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
    case 'n': return e - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
    default: {
        uint8_t k; uint64_t v;
        return json_number(p, e, &k, &v);
    }
    }
}

/* what each type needs: (key, kind) pairs; kind KN_STR with a byte range, or KN_NUM with a max */
struct need { uint8_t key, kind, optional; uint16_t min; uint64_t max; };
#define NS(k, lo, hi) { k, KN_STR, 0, lo, hi }
#define NSo(k, lo, hi) { k, KN_STR, 1, lo, hi }
#define NN(k, hi) { k, KN_NUM, 0, 0, hi }
#define NNo(k, hi) { k, KN_NUM, 1, 0, hi }
#define NA(k) { k, KN_ARR, 0, 0, 0 }
#define NEND { NKEYS, 0, 0, 0, 0 }
static const struct need NEEDS[][10] = {
    [T_CHALLENGE] = { NS(K_COOKIE, 32, 32), NSo(K_SALT, 32, 32), NEND },
    [T_WELCOME] = { NS(K_SID, 32, 32), NS(K_NAME, 1, MAX_NAME_BYTES), NA(K_MEMBERS), NN(K_COUNT, MAX_U32),
                    NN(K_SEQ, MAX_SAFE), NN(K_BACKLOG, MAX_SAFE), NS(K_EPOCH, 16, 16), NN(K_TS, MAX_SAFE), NEND },
    [T_REFUSED] = { NS(K_REASON, 1, 64), NNo(K_ID, MAX_U32), NEND },
    [T_ACK] = { NN(K_ID, MAX_U32), NNo(K_SEQ, MAX_SAFE), NNo(K_COUNT, MAX_U32), NEND },
    [T_WAITING] = { NN(K_ID, MAX_U32), NEND },
    [T_LOST] = { NN(K_FROM, MAX_SAFE), NN(K_TO, MAX_SAFE), NEND },
    [T_TICK] = { NN(K_SEQ, MAX_SAFE), NS(K_EPOCH, 16, 16), NN(K_TS, MAX_SAFE), NEND },
    [T_MEMBERS] = { NN(K_ID, MAX_U32), NA(K_NAMES), NN(K_TOTAL, MAX_U32), NN(K_NEXT, MAX_U32), NEND },
    [T_JOIN] = { NN(K_SEQ, MAX_SAFE), NN(K_TS, MAX_SAFE), NS(K_NAME, 1, MAX_NAME_BYTES), NEND },
    [T_MESSAGE] = { NN(K_SEQ, MAX_SAFE), NN(K_TS, MAX_SAFE), NS(K_FROM, 1, MAX_NAME_BYTES), NS(K_TEXT, 1, MAX_TEXT), NEND },
    [T_LEAVE] = { NN(K_SEQ, MAX_SAFE), NN(K_TS, MAX_SAFE), NS(K_NAME, 1, MAX_NAME_BYTES), NS(K_REASON, 1, 16), NEND },
    [T_ADMIN] = { NN(K_SEQ, MAX_SAFE), NN(K_TS, MAX_SAFE), NS(K_TEXT, 1, MAX_TEXT), NEND },
    [T_ACTION] = { NN(K_SEQ, MAX_SAFE), NN(K_TS, MAX_SAFE), NS(K_FROM, 1, MAX_NAME_BYTES), NS(K_TEXT, 1, MAX_TEXT), NEND },
    [T_PRIVATE] = { NN(K_SEQ, MAX_SAFE), NN(K_TS, MAX_SAFE), NS(K_FROM, 1, MAX_NAME_BYTES), NS(K_TO, 1, MAX_NAME_BYTES),
                    NS(K_TEXT, 1, MAX_TEXT), NEND },
    [T_HIDDEN] = { NN(K_SEQ, MAX_SAFE), NEND },
    [T_PROBE] = { NEND },
    [T_STOPPING] = { NEND },
    [T_REQUEST] = { NEND },
    /* a member's /nick: a room event like a join (numbered, handed over in order), counted as nothing */
    [T_RENAME] = { NN(K_SEQ, MAX_SAFE), NN(K_TS, MAX_SAFE), NS(K_FROM, 1, MAX_NAME_BYTES), NS(K_TO, 1, MAX_NAME_BYTES), NEND },
    [T_AWAY_NOTICE] = { NS(K_NAME, 1, MAX_NAME_BYTES), NS(K_REASON, 0, 200), NEND },
};

static int reason_id(const struct str *s)
{
    for (int i = 0; i < NREASONS; i++)
        if ((int)strlen(REASONS[i]) == s->n && !memcmp(REASONS[i], s->p, (size_t)s->n)) return i;
    return -1;
}

/* One frame [p, e): 0 when it is a valid frame of this protocol, -1 when it breaks a rule. Strings of
 * known keys are decoded into *scr (the scratch area; decoded text never outgrows its source). */
static int parse_frame(const char *p, const char *e, struct frame *f, char **scr)
{
    memset(f->kind, 0, sizeof f->kind);
    p = ws(p, e);
    if (p >= e || *p != '{') return -1;
    p = ws(p + 1, e);
    if (p < e && *p == '}') return -1; /* no "v" */
    for (;;) {
        if (p >= e || *p != '"') return -1;
        char kb[16];
        int kn;
        const char *ks = p + 1, *q;
        /* keys are short and plain: decode only if an escape is there */
        q = scan_special(ks, e);
        if (q < e && *q == '"' && q - ks < 16) {
            kn = (int)(q - ks);
            memcpy(kb, ks, (size_t)kn);
            p = q + 1;
        } else {
            char big[MAX_DGRAM];
            p = json_string(ks, e, big, &kn);
            if (!p) return -1;
            if (kn < 16) memcpy(kb, big, (size_t)kn); else kn = 0;
        }
        p = ws(p, e);
        if (p >= e || *p != ':') return -1;
        p = ws(p + 1, e);
        if (p >= e) return -1;
        int k = kn ? key_id(kb, kn) : -1;
        if (k < 0) {
            p = json_skip(p, e, 1);
        } else if (*p == '"') {
            const char *q = scan_special(p + 1, e);
            if (q < e && *q == '"') { /* no escapes: the string is its bytes, read in place */
                f->s[k].p = p + 1;
                f->s[k].n = (int)(q - p - 1);
                p = q + 1;
            } else {
                char *o = *scr;
                int n;
                p = json_string(p + 1, e, o, &n);
                if (!p) return -1;
                f->s[k].p = o;
                f->s[k].n = n;
                *scr = o + n;
            }
            f->kind[k] = KN_STR;
        } else if (*p == '[') {
            int ok = 1;
            p = json_array(p + 1, e, 1, 1, &ok);
            f->kind[k] = ok ? KN_ARR : KN_OBJ; /* an array of something else than names: wrong kind */
        } else if (*p == '{') {
            p = json_skip(p, e, 1);
            f->kind[k] = KN_OBJ;
        } else if (*p == 't' || *p == 'f') {
            p = json_skip(p, e, 1);
            f->kind[k] = KN_BOOL;
        } else if (*p == 'n') {
            p = json_skip(p, e, 1);
            f->kind[k] = KN_NULL;
        } else if (*p >= '1' && *p <= '9') { /* the usual: a plain integer */
            const char *q = p;
            uint64_t v = 0;
            while (q < e && *q >= '0' && *q <= '9' && q - p < 16) v = v * 10 + (uint64_t)(*q++ - '0');
            if (q < e && (*q == '.' || *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9')))
                p = json_number(p, e, &f->kind[k], &f->num[k]);
            else {
                f->kind[k] = v <= MAX_SAFE ? KN_NUM : KN_NUMBAD;
                f->num[k] = v;
                p = q;
            }
        } else {
            p = json_number(p, e, &f->kind[k], &f->num[k]);
        }
        if (!p) return -1;
        p = ws(p, e);
        if (p >= e) return -1;
        if (*p == ',') { p = ws(p + 1, e); continue; }
        if (*p == '}') { p = ws(p + 1, e); break; }
        return -1;
    }
    if (p != e) return -1;
    /* the rules of section 2 and 4 */
    if (f->kind[K_V] != KN_NUM || f->num[K_V] != PROTOCOL_VERSION) return -1;
    if (f->kind[K_TYPE] != KN_STR) return -1;
    f->type = (uint8_t)type_id(f->s[K_TYPE].p, f->s[K_TYPE].n);
    if (f->type == T_NONE) return -1;
    for (const struct need *n = NEEDS[f->type]; n->key != NKEYS; n++) {
        uint8_t kd = f->kind[n->key];
        if (kd == KN_NONE) {
            if (n->optional) continue;
            return -1;
        }
        if (kd != n->kind) return -1;
        if (kd == KN_STR && (f->s[n->key].n < n->min || (uint64_t)f->s[n->key].n > n->max)) return -1;
        if (kd == KN_NUM && f->num[n->key] > n->max) return -1;
    }
    switch (f->type) {
    case T_CHALLENGE:
        if (!is_lower_hex(f->s[K_COOKIE].p, f->s[K_COOKIE].n, 32)) return -1;
        break;
    case T_WELCOME:
        if (!is_lower_hex(f->s[K_SID].p, f->s[K_SID].n, 32) || !is_lower_hex(f->s[K_EPOCH].p, f->s[K_EPOCH].n, 16)) return -1;
        break;
    case T_TICK:
        if (!is_lower_hex(f->s[K_EPOCH].p, f->s[K_EPOCH].n, 16)) return -1;
        break;
    case T_REFUSED:
        if (reason_id(&f->s[K_REASON]) < 0) return -1; /* an unknown reason: drop (section 9) */
        break;
    case T_LEAVE: {
        const struct str *r = &f->s[K_REASON];
        if (!((r->n == 4 && !memcmp(r->p, "quit", 4)) || (r->n == 7 && !memcmp(r->p, "timeout", 7)) ||
              (r->n == 6 && !memcmp(r->p, "kicked", 6)) || (r->n == 6 && !memcmp(r->p, "banned", 6)))) return -1;
        break;
    }
    }
    return 0;
}

/* ------------------------------------------------------------ output: queued, sent with sendmmsg per member */
static struct { int mi; int len; } oq[OUTMAX];
static char oqbuf[OUTMAX][MAX_DGRAM];
static int noq;
static void out_flush(void);

static inline char *out_slot(void)
{
    if (noq == OUTMAX) out_flush();
    return oqbuf[noq];
}
static inline void out_commit(int mi, int len)
{
    oq[noq].mi = mi;
    oq[noq].len = len;
    noq++;
}

/* the next proof counter of member mi: larger than its last, and following the wall clock (ms * 1000) as the
 * reference's ProofCounter, so that a server restarted with its members still finds every counter new */
static uint64_t next_counter(struct member *m)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    uint64_t c = ((uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000) * 1000;
    if (c <= m->counter) c = m->counter + 1;
    if (c > MAX_SAFE) c = MAX_SAFE;
    return m->counter = c;
}

/* a session request built at b + PROOF_BYTES up to e: proven, then queued */
static inline void out_commit_proven(int mi, char *b, char *e)
{
    size_t body = (size_t)(e - b) - PROOF_BYTES;
    prove_at(&Mb[mi].key, 'm', next_counter(&Mb[mi]), (uint8_t *)b, body);
    out_commit(mi, (int)(e - b));
}

static void out_flush(void)
{
    static struct mmsghdr v[SMB];
    static struct iovec iov[SMB];
    int i = 0;
    uint64_t t = noq ? now_ns() : 0;
    while (i < noq) {
        int mi = oq[i].mi, k = 0;
        while (i + k < noq && oq[i + k].mi == mi && k < SMB) {
            iov[k].iov_base = oqbuf[i + k];
            iov[k].iov_len = (size_t)oq[i + k].len;
            memset(&v[k].msg_hdr, 0, sizeof v[k].msg_hdr);
            v[k].msg_hdr.msg_iov = &iov[k];
            v[k].msg_hdr.msg_iovlen = 1;
            k++;
        }
        int done = 0, tries = 0;
        while (done < k && tries++ < 4) {
            int r = sendmmsg(Mb[mi].fd, v + done, (unsigned)(k - done), 0);
            if (r > 0) { done += r; c_dg_sent += (uint64_t)r; continue; }
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) c_send_eagain++;
            else c_send_err++;
            done++; /* this one is lost; the protocol repeats what matters */
        }
        Mb[mi].last_sent = t;
        i += k;
    }
    if (noq) last_tx = t;
    noq = 0;
}

static void send_knock(int mi)
{
    char *b = out_slot(), *p = b;
    p = PUT(p, "{\"v\":3,\"type\":\"knock\",\"pad\":\"");
    int pad = KNOCK_BYTES - (int)(p - b) - 2;
    memset(p, ' ', (size_t)pad);
    p += pad;
    p = PUT(p, "\"}");
    out_commit(mi, (int)(p - b));
}

static void send_hello(int mi)
{
    struct member *m = &Mb[mi];
    char *b = out_slot(), *p = b;
    p = PUT(p, "{\"v\":3,\"type\":\"hello\",\"name\":\"");
    p = put_mem(p, m->name, m->namelen);
    p = PUT(p, "\",\"nonce\":\"");
    p = put_mem(p, m->nonce, 16);
    p = PUT(p, "\",\"cookie\":\"");
    p = put_mem(p, m->cookie, 32);
    p = PUT(p, "\"}");
    out_commit(mi, (int)(p - b));
}

static void send_ping(int mi)
{
    char *b = out_slot(), *p = b + PROOF_BYTES;
    p = PUT(p, "{\"v\":3,\"type\":\"ping\",\"sid\":\"");
    p = put_mem(p, Mb[mi].sid, 32);
    p = PUT(p, "\"}");
    out_commit_proven(mi, b, p);
    c_pings++;
}

static int debug_nacks;
static void send_nack(int mi, uint64_t from, uint64_t to)
{
    if (debug_nacks > 0) {
        debug_nacks--;
        fprintf(stderr, "nack m%d %" PRIu64 "-%" PRIu64 " next %" PRIu64 " known %" PRIu64 " phase %d t %.6f\n", mi, from, to,
                Mb[mi].next, Mb[mi].known, phase, (double)now_ns() / 1e9);
    }
    char *b = out_slot(), *p = b + PROOF_BYTES;
    p = PUT(p, "{\"v\":3,\"type\":\"nack\",\"sid\":\"");
    p = put_mem(p, Mb[mi].sid, 32);
    p = PUT(p, "\",\"from\":");
    p = put_u64(p, from);
    p = PUT(p, ",\"to\":");
    p = put_u64(p, to);
    *p++ = '}';
    out_commit_proven(mi, b, p);
    c_nacks++;
    c_nacked_events += to - from + 1;
}

static void send_bye_frame(int mi, uint32_t id)
{
    char *b = out_slot(), *p = b + PROOF_BYTES;
    p = PUT(p, "{\"v\":3,\"type\":\"bye\",\"sid\":\"");
    p = put_mem(p, Mb[mi].sid, 32);
    p = PUT(p, "\",\"id\":");
    p = put_u64(p, id);
    *p++ = '}';
    out_commit_proven(mi, b, p);
}

static void send_say(struct sender *s, struct item *it, uint32_t base)
{
    char *b = out_slot(), *p = b + PROOF_BYTES;
    p = PUT(p, "{\"v\":3,\"type\":\"say\",\"sid\":\"");
    p = put_mem(p, Mb[s->mi].sid, 32);
    p = PUT(p, "\",\"id\":");
    p = put_u64(p, it->id);
    p = PUT(p, ",\"base\":");
    p = put_u64(p, base);
    p = PUT(p, ",\"text\":\"T");
    p = put_hex(p, it->stamp, 16);
    *p++ = 'S';
    p = put_hex(p, it->msgno, 8);
    p = put_mem(p, msgbody, (size_t)(B - TSLEN));
    p = PUT(p, "\"}");
    out_commit_proven(s->mi, b, p);
    c_says_sent++;
}

/* ------------------------------------------------------------ the outbox (src/core/outbox.ts) */
static inline struct item *q_at(struct sender *s, size_t k) { return &s->q[(s->head + k) % s->cap]; }
static inline size_t q_len(struct sender *s) { return s->tail - s->head; }

static uint64_t rto_now(struct sender *s)
{
    if (!s->has_rtt) return INITIAL_RTO_NS;
    double r = s->srtt + 4 * s->rttvar;
    if (r < (double)MIN_RTO_NS) r = (double)MIN_RTO_NS;
    if (r > (double)MAX_RTO_NS) r = (double)MAX_RTO_NS;
    return (uint64_t)r;
}

static void rtt_sample(struct sender *s, uint64_t rtt)
{
    double r = (double)rtt;
    if (!s->has_rtt) { s->srtt = r; s->rttvar = r / 2; s->has_rtt = 1; return; }
    s->rttvar = 0.75 * s->rttvar + 0.25 * fabs(s->srtt - r);
    s->srtt = 0.875 * s->srtt + 0.125 * r;
}

static void q_compact(struct sender *s)
{
    while (s->head < s->tail && q_at(s, 0)->done) s->head++;
}

static uint32_t ob_base(struct sender *s)
{
    q_compact(s);
    return s->head < s->tail ? q_at(s, 0)->id : s->next_id;
}

static void ob_add(struct sender *s, uint32_t msgno, uint64_t now)
{
    if (q_len(s) + 1 >= s->cap) { /* grow (keeps order) */
        size_t nc = s->cap * 2, n = q_len(s);
        struct item *nq = malloc(nc * sizeof *nq);
        if (!nq) die("malloc");
        for (size_t k = 0; k < n; k++) nq[k] = *q_at(s, k);
        free(s->q);
        s->q = nq;
        s->cap = nc;
        s->head = 0;
        s->tail = n;
    }
    struct item *it = &s->q[s->tail % s->cap];
    s->tail++;
    memset(it, 0, sizeof *it);
    it->id = s->next_id++;
    it->msgno = msgno;
    it->queued = now;
    it->stamp = now;
    s->live++;
    s->created++;
    created_total++;
}

static struct item *ob_find(struct sender *s, uint64_t id)
{
    q_compact(s);
    if (s->head == s->tail) return NULL;
    uint32_t first = q_at(s, 0)->id;
    if (id < first || id >= s->next_id) return NULL;
    size_t k = (size_t)(id - first);
    if (k >= q_len(s)) return NULL;
    struct item *it = q_at(s, k);
    return it->done ? NULL : it;
}

/* sends what is due: never-sent items inside the window, and items whose timeout passed */
static void ob_flush_due(struct sender *s, uint64_t now)
{
    q_compact(s);
    uint32_t base = ob_base(s);
    size_t n = q_len(s);
    int inwin = 0;
    uint64_t next_due = UINT64_MAX;
    for (size_t k = 0; k < n; k++) {
        struct item *it = q_at(s, k);
        if (it->done) continue;
        if (++inwin > SEND_WINDOW) break;
        if (it->sent_at == 0) {
            it->rto = rto_now(s);
        } else if (now - it->sent_at >= it->rto || it->sent_at == 1) {
            it->rto = it->rto * 2 > MAX_RTO_NS ? MAX_RTO_NS : it->rto * 2;
            s->last_retry_at = now;
            c_retrans++;
        } else {
            if (it->sent_at + it->rto < next_due) next_due = it->sent_at + it->rto;
            continue;
        }
        it->sent_at = now;
        it->tries++;
        if (!first_send) first_send = now;
        send_say(s, it, base);
        if (now + it->rto < next_due) next_due = now + it->rto;
    }
    s->next_due = next_due;
}

static void ob_expire(struct sender *s, uint64_t now)
{
    q_compact(s);
    size_t n = q_len(s);
    for (size_t k = 0; k < n; k++) {
        struct item *it = q_at(s, k);
        if (it->done) continue;
        if (now - it->queued < GIVE_UP_NS) break; /* queued in id order */
        it->done = 1;
        s->live--;
        c_gave_up++;
    }
    q_compact(s);
}

static void sender_service(struct sender *s, uint64_t now)
{
    if (Mb[s->mi].state != M_IN) return;
    if (phase == P_SEND && count_mode)
        while (s->created < s->quota && s->live < SEND_WINDOW) ob_add(s, (uint32_t)created_total, now);
    ob_expire(s, now);
    ob_flush_due(s, now);
}

/* ------------------------------------------------------------ the event stream (src/core/sequencer.ts) */
static inline int bit_test(const uint64_t *w, uint64_t seq) { return (int)((w[(seq >> 6) & (WIN_WORDS - 1)] >> (seq & 63)) & 1); }
static inline void bit_set(uint64_t *w, uint64_t seq) { w[(seq >> 6) & (WIN_WORDS - 1)] |= 1ull << (seq & 63); }
static inline void bit_clr(uint64_t *w, uint64_t seq) { w[(seq >> 6) & (WIN_WORDS - 1)] &= ~(1ull << (seq & 63)); }

static inline int present(struct member *m, uint64_t seq)
{
    return bit_test(m->held, seq) || (m->own && bit_test(m->own, seq));
}

static void mark_lagging(int mi)
{
    struct member *m = &Mb[mi];
    if (!m->lagging) { m->lagging = 1; lagging_list[nlagging++] = mi; }
}

static void mark_repair_now(int mi)
{
    struct member *m = &Mb[mi];
    if (!m->repair_now) { m->repair_now = 1; repair_list[nrepair++] = mi; }
}

/* names are <tag><decimal index>: the member index, or -1 */
static int name_to_idx(const char *p, int n)
{
    if (n < 4 || n > 12 || memcmp(p, tag, 3)) return -1;
    long v = 0;
    for (int i = 3; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        v = v * 10 + (p[i] - '0');
    }
    if ((n > 4 && p[3] == '0') || v >= N) return -1;
    return (int)v;
}

static void handover(int mi, uint64_t seq, const struct evinfo *ei, uint64_t now)
{
    struct member *m = &Mb[mi];
    c_events++;
    if (seq <= m->history_end) return; /* backlog: history, not this run's */
    switch (ei->type) {
    case T_MESSAGE:
        if (ei->who == mi) return; /* its own */
        if (!ei->stamped) { c_foreign++; return; }
        if (seenmsg && ei->msgno < total) {
            uint64_t *w = &seenmsg[(size_t)mi * seen_words + (ei->msgno >> 6)];
            uint64_t bit = 1ull << (ei->msgno & 63);
            if (*w & bit) { c_dup_deliveries++; return; }
            *w |= bit;
        }
        m->delivered++;
        c_delivered++;
        last_delivery = now;
        hadd(&H_read, now > ei->stamp ? now - ei->stamp : 0);
        hadd(&H_arr, rx_arrival > ei->stamp ? rx_arrival - ei->stamp : 0);
        return;
    case T_LEAVE:
        c_leaves++;
        return;
    case T_ACTION:
    case T_ADMIN:
    case T_PRIVATE:
        if (ei->who != mi) c_foreign++;
        return;
    default:
        return;
    }
}

static const struct evinfo OWN_EVENT = { 0, 0, -2, T_NONE, 0 };

/* hands over what is now in order */
static void drain(int mi, uint64_t now)
{
    struct member *m = &Mb[mi];
    for (;;) {
        uint64_t s = m->next;
        if (bit_test(m->held, s)) {
            bit_clr(m->held, s);
            struct tslot *t = &table[s & (TABLE_SIZE - 1)];
            if (t->seq == s) handover(mi, s, &t->ei, now);
            else c_table_miss++;
        } else if (m->own && bit_test(m->own, s)) {
            bit_clr(m->own, s);
            handover(mi, s, &OWN_EVENT, now);
        } else
            return;
        m->next = s + 1;
    }
}

static void know(int mi, uint64_t seq)
{
    struct member *m = &Mb[mi];
    if (seq > m->known) m->known = seq;
    if (m->next && m->next <= m->known) mark_lagging(mi);
}

/* one room event for member mi, in the order received */
static void event_in(int mi, uint64_t seq, const struct evinfo *ei, uint64_t now)
{
    struct member *m = &Mb[mi];
    if (seq > m->known) m->known = seq;
    if (seq < m->start) { c_before_start++; return; } /* packed with its own join: from before its time */
    if (seq < m->next || present(m, seq)) {
        if (ei->who == mi) c_own_echo++; /* its own join or message, in a packed datagram */
        else c_dups++;
        return;
    }
    if (seq - m->next >= RECV_WINDOW) { /* too far ahead to hold: repaired in turn */
        c_too_far++;
        mark_lagging(mi);
        return;
    }
    if (seq == m->next) {
        handover(mi, seq, ei, now);
        m->next = seq + 1;
        drain(mi, now);
    } else {
        struct tslot *t = &table[seq & (TABLE_SIZE - 1)];
        t->seq = seq;
        t->ei = *ei;
        bit_set(m->held, seq);
        mark_repair_now(mi); /* a gap: ask for it at once (after this receive batch) */
    }
    if (m->next <= m->known) mark_lagging(mi);
}

static void own_seq(int mi, uint64_t seq, uint64_t now)
{
    struct member *m = &Mb[mi];
    if (!m->next || seq < m->next || !m->own) return;
    if (seq > m->known) m->known = seq;
    if (seq - m->next >= RECV_WINDOW) { mark_lagging(mi); return; }
    if (!bit_test(m->held, seq)) bit_set(m->own, seq);
    drain(mi, now);
    if (m->next <= m->known) mark_lagging(mi);
}

static void stream_start(int mi, uint64_t next, uint64_t known)
{
    struct member *m = &Mb[mi];
    m->next = next;
    m->start = next;
    m->known = known;
    memset(m->held, 0, sizeof m->held);
    if (m->own) memset(m->own, 0, WIN_WORDS * sizeof(uint64_t));
    m->nasked = 0;
}

/* asks for every missing run: new ones at once, then again every 150 ms (src/receiver.ts #repair) */
static void repair(int mi, uint64_t now)
{
    struct member *m = &Mb[mi];
    if (m->state != M_IN || !m->next || m->next > m->known) {
        m->lagging = 0;
        m->nasked = 0;
        return;
    }
    uint64_t next = m->next;
    int j = 0;
    for (int i = 0; i < m->nasked; i++)
        if (m->asked[i].from >= next) m->asked[j++] = m->asked[i];
    m->nasked = (uint8_t)j;
    uint64_t limit = m->known;
    if (limit > next + RECV_WINDOW - 1) limit = next + RECV_WINDOW - 1;
    int gaps = 0;
    for (uint64_t from = next; from <= limit && gaps < MAX_NACKS;) {
        if (present(m, from)) { from++; continue; }
        uint64_t to = from;
        while (to < limit && to - from + 1 < MAX_REPAIR && !present(m, to + 1)) to++;
        gaps++;
        int a = -1;
        for (int i = 0; i < m->nasked; i++) if (m->asked[i].from == from) { a = i; break; }
        if (a < 0 || now - m->asked[a].at >= NACK_RETRY_NS) {
            if (a < 0) {
                if (m->nasked < (int)(sizeof m->asked / sizeof m->asked[0])) a = m->nasked++;
                else { /* full: forget the oldest */
                    a = 0;
                    for (int i = 1; i < m->nasked; i++) if (m->asked[i].at < m->asked[a].at) a = i;
                }
                m->asked[a].from = from;
            }
            m->asked[a].at = now;
            send_nack(mi, from, to);
        }
        from = to + 1;
    }
}

/* ------------------------------------------------------------ login */
static void login_step(int mi, uint64_t now, uint64_t every)
{
    struct member *m = &Mb[mi];
    if (now - m->last_hello < every && m->last_hello) return;
    if (m->last_hello) c_login_retries++;
    m->last_hello = now;
    if (!m->has_cookie) { send_knock(mi); return; }
    m->hellos++;
    send_hello(mi);
}

static void start_logins(uint64_t now)
{
    while (joining < login_window && next_login < N) {
        int mi = next_login++;
        struct member *m = &Mb[mi];
        m->state = M_JOINING;
        m->login_started = now;
        m->last_hello = 0;
        if (!first_knock) first_knock = now;
        joining++;
        login_step(mi, now, 0);
    }
}

static void lose(int mi)
{
    struct member *m = &Mb[mi];
    m->state = M_LOST;
    m->has_cookie = 0;
    m->last_hello = 0;
    m->hellos = 0;
    c_relogins++;
}

static void login_done(int mi, int ok, uint64_t now)
{
    struct member *m = &Mb[mi];
    if (m->state != M_JOINING) return;
    joining--;
    if (ok) { m->state = M_IN; joined++; last_welcome = now; }
    else { m->state = M_DEAD; c_login_failed++; }
    start_logins(now);
}

/* ------------------------------------------------------------ handling the server's frames */
static void evinfo_of(const struct frame *f, struct evinfo *ei)
{
    memset(ei, 0, sizeof *ei);
    ei->type = f->type;
    ei->who = -1;
    switch (f->type) {
    case T_MESSAGE:
    case T_ACTION:
    case T_PRIVATE: {
        ei->who = name_to_idx(f->s[K_FROM].p, f->s[K_FROM].n);
        const struct str *t = &f->s[K_TEXT];
        if (f->type == T_MESSAGE && ei->who >= 0 && t->n >= TSLEN && t->p[0] == 'T' && t->p[17] == 'S') {
            uint64_t ts = 0, no = 0;
            int ok = 1;
            for (int i = 1; i < 17 && ok; i++) { int h = hexv((unsigned char)t->p[i]); if (h < 0) ok = 0; else ts = ts << 4 | (uint64_t)h; }
            for (int i = 18; i < 26 && ok; i++) { int h = hexv((unsigned char)t->p[i]); if (h < 0) ok = 0; else no = no << 4 | (uint64_t)h; }
            if (ok) {
                ei->stamped = 1;
                ei->stamp = ts;
                ei->msgno = (uint32_t)no;
                if (t->n != B) c_bad_payload++;
            }
        }
        break;
    }
    case T_JOIN:
    case T_LEAVE:
        ei->who = name_to_idx(f->s[K_NAME].p, f->s[K_NAME].n);
        break;
    }
}

static void on_welcome(int mi, const struct frame *f, uint64_t now)
{
    struct member *m = &Mb[mi];
    uint64_t seq = f->num[K_SEQ];
    if (m->state == M_JOINING) {
        if (m->hellos == 1 && m->sender >= 0) rtt_sample(&Sd[m->sender], now - m->last_hello);
        memcpy(m->sid, f->s[K_SID].p, 32);
        memcpy(m->epoch, f->s[K_EPOCH].p, 16);
        m->history_end = seq;
        uint64_t backlog = f->num[K_BACKLOG];
        stream_start(mi, backlog > 0 && backlog <= seq ? backlog : seq + 1, seq);
        if (seq > room_seq) room_seq = seq;
        /* heartbeats of members in one process would otherwise beat in step (see load-member.ts) */
        m->last_sent = now - (uint64_t)(rand() % (int)(HEARTBEAT_NS / MS)) * MS;
        login_done(mi, 1, now);
        for (int i = 0; i < m->nearly; i++) event_in(mi, m->early[i].seq, &m->early[i].ei, now);
        free(m->early);
        m->early = NULL;
        m->nearly = 0;
        if (m->next <= m->known) mark_lagging(mi);
        return;
    }
    if (m->state != M_LOST) return; /* a repeat of the first welcome */
    if (m->hellos == 1 && m->sender >= 0) rtt_sample(&Sd[m->sender], now - m->last_hello);
    m->state = M_IN;
    memcpy(m->sid, f->s[K_SID].p, 32);
    if (!memcmp(m->epoch, f->s[K_EPOCH].p, 16)) know(mi, seq);
    else { /* a new room history: the old numbers mean nothing */
        c_epoch_changes++;
        memcpy(m->epoch, f->s[K_EPOCH].p, 16);
        m->history_end = seq;
        stream_start(mi, seq + 1, seq);
        memset(table, 0, TABLE_SIZE * sizeof *table);
    }
    if (m->sender >= 0) { /* resendAll: everything in flight goes out again under the new session */
        struct sender *s = &Sd[m->sender];
        for (size_t k = 0; k < q_len(s); k++) { struct item *it = q_at(s, k); if (!it->done && it->sent_at) it->sent_at = 1; }
        sender_service(s, now);
    }
}

static void on_frame(int mi, const struct frame *f, uint64_t now)
{
    struct member *m = &Mb[mi];
    switch (f->type) {
    case T_CHALLENGE:
        if (m->state != M_JOINING && m->state != M_LOST) return;
        if (f->kind[K_SALT] == KN_STR) {
            fprintf(stderr, "chatload: the room has a passphrase (the challenge has a salt); chatload does not seal datagrams\n");
            exit(2);
        }
        if (m->has_cookie) c_challenges_again++;
        memcpy(m->cookie, f->s[K_COOKIE].p, 32);
        m->has_cookie = 1;
        m->hellos = 0;
        m->last_hello = 0;
        login_step(mi, now, 0);
        return;
    case T_WELCOME:
        on_welcome(mi, f, now);
        return;
    case T_ACK: {
        if (m->sender < 0) return;
        struct sender *s = &Sd[m->sender];
        struct item *it = ob_find(s, f->num[K_ID]);
        if (!it) { c_repeat_acks++; return; }
        it->done = 1;
        s->live--;
        if (it->tries == 1 && it->sent_at > 1 && it->sent_at > s->last_retry_at) rtt_sample(s, now - it->sent_at);
        c_acked++;
        last_ack = now;
        if (f->kind[K_SEQ] == KN_NUM) {
            uint64_t seq = f->num[K_SEQ];
            if (seq > last_seq) last_seq = seq;
            if (seq > room_seq) room_seq = seq;
            own_seq(mi, seq, now);
        } else
            c_acked_noseq++;
        sender_service(s, now);
        return;
    }
    case T_WAITING: {
        if (m->sender < 0) return;
        struct sender *s = &Sd[m->sender];
        c_waiting++;
        struct item *it = ob_find(s, f->num[K_ID]);
        if (!it || it->sent_at == 0) return;
        uint64_t rtt = s->has_rtt ? (uint64_t)s->srtt : MIN_RTO_NS;
        if (it->sent_at > 1 && now - it->sent_at < rtt) return; /* this copy may still be on its way */
        it->sent_at = 1;
        it->rto = it->rto / 2 < MIN_RTO_NS ? MIN_RTO_NS : it->rto / 2; /* undo the doubling to come */
        s->last_retry_at = now;
        c_hurried++;
        sender_service(s, now);
        return;
    }
    case T_REFUSED: {
        int r = reason_id(&f->s[K_REASON]);
        refused_by[r]++;
        if (m->state == M_JOINING) {
            if (r == RS_TOO_MANY_LOGINS || r == RS_ROOM_FULL) return; /* retried on the login timer */
            login_done(mi, 0, now);
            return;
        }
        if (r == RS_UNKNOWN_SESSION) { if (m->state == M_IN) lose(mi); return; }
        if (r == RS_KICKED || r == RS_BANNED) { if (m->state == M_IN || m->state == M_LOST) m->state = M_DEAD; return; }
        if (f->kind[K_ID] == KN_NUM && m->sender >= 0) { /* a say settled without an ack */
            struct sender *s = &Sd[m->sender];
            struct item *it = ob_find(s, f->num[K_ID]);
            if (it) { it->done = 1; s->live--; c_refused_says++; sender_service(s, now); }
        }
        return;
    }
    case T_TICK:
        c_ticks++;
        if (m->state == M_IN && m->next && !memcmp(m->epoch, f->s[K_EPOCH].p, 16)) know(mi, f->num[K_SEQ]);
        return;
    case T_LOST: {
        uint64_t from = f->num[K_FROM], to = f->num[K_TO];
        if (to >= from) c_lost_events += to - from + 1;
        if (!m->next || to < m->next || from > m->next) return;
        /* go past them; anything held in the range is handed over in order (none should be) */
        for (uint64_t s = m->next; s <= to; s++) {
            if (s - m->next >= RECV_WINDOW) { c_skipped_unrepaired += to - s + 1; break; }
            if (present(m, s)) {
                struct tslot *t = &table[s & (TABLE_SIZE - 1)];
                if (bit_test(m->held, s) && t->seq == s) handover(mi, s, &t->ei, now);
                else if (m->own && bit_test(m->own, s)) handover(mi, s, &OWN_EVENT, now);
                bit_clr(m->held, s);
                if (m->own) bit_clr(m->own, s);
            } else
                c_skipped_unrepaired++;
        }
        if (to + 1 - m->next >= RECV_WINDOW) { memset(m->held, 0, sizeof m->held); if (m->own) memset(m->own, 0, WIN_WORDS * 8); }
        m->next = to + 1;
        if (m->known < to) m->known = to;
        drain(mi, now);
        return;
    }
    case T_PROBE: /* the server asks whether this member is still there before it times it out: answer at once */
        if (m->state == M_IN) send_ping(mi);
        return;
    case T_STOPPING: /* the server's goodbye: log in again at once rather than after the silence */
        if (m->state == M_IN) lose(mi);
        return;
    case T_MEMBERS:
    case T_REQUEST:
    case T_AWAY_NOTICE:
        return;
    default: { /* a room event */
        struct evinfo ei;
        evinfo_of(f, &ei);
        uint64_t seq = f->num[K_SEQ];
        if (!m->next) { /* before the welcome: kept, and handled after it */
            if (m->state == M_JOINING && m->nearly < MAX_EARLY) {
                if (!m->early) m->early = malloc(MAX_EARLY * sizeof *m->early);
                if (m->early) { m->early[m->nearly].seq = seq; m->early[m->nearly].ei = ei; m->nearly++; }
            }
            return;
        }
        if (m->state != M_IN && m->state != M_LOST) return;
        event_in(mi, seq, &ei, now);
        return;
    }
    }
}

static struct frame frames[MAXF];
static char scratch[2 * RXBUF];

/* A datagram from the server, its frames parsed into frames[]: -1 when it is to be dropped whole. A proven one
 * (*proven = 1) has its proof taken off, the counter range-checked as readProof does, the tag NOT checked (see 6.
 * at the top: the server's side is what is measured). */
static int parse_datagram(const char *b, int len, int *nframes, int *proven)
{
    if (len <= 0 || len > MAX_DGRAM) return -1;
    *proven = (unsigned char)b[0] == PROOF_MARK;
    if (*proven) {
        if (len <= PROOF_BYTES) return -1;
        uint64_t counter = 0;
        for (int i = 1; i <= 8; i++) counter = counter << 8 | (unsigned char)b[i];
        if (counter < 1 || counter > MAX_SAFE) return -1;
        b += PROOF_BYTES;
        len -= PROOF_BYTES;
    }
    if (!utf8_valid((const unsigned char *)b, (size_t)len)) return -1;
    const char *p = b, *e = b + len;
    char *scr = scratch;
    int nf = 0;
    for (;;) {
        const char *lf = memchr(p, '\n', (size_t)(e - p));
        const char *fe = lf ? lf : e;
        if (nf == MAXF || parse_frame(p, fe, &frames[nf], &scr) < 0) return -1;
        nf++;
        if (!lf) break;
        p = lf + 1;
    }
    *nframes = nf;
    return 0;
}

/* what a member takes from an unproven datagram (from-server.ts takenUnproven): what comes before the server
 * knows who it is, the challenge, and refusals while logging in; never anything that touches a session */
static int taken_unproven(int mi, const struct frame *f)
{
    return f->type == T_CHALLENGE || (f->type == T_REFUSED && (Mb[mi].state == M_JOINING || Mb[mi].state == M_LOST));
}

static void on_datagram(int mi, const char *b, int len, uint64_t now)
{
    c_datagrams++;
    last_rx = now;
    int nf = 0, proven = 0;
    if (parse_datagram(b, len, &nf, &proven) < 0) { c_undecodable++; return; }
    if (proven) Mb[mi].last_heard = now; /* a session hears only from its server's proven datagrams */
    c_frames += (uint64_t)nf;
    for (int i = 0; i < nf; i++) {
        if (!proven && !taken_unproven(mi, &frames[i])) { c_unproven_ignored++; continue; }
        on_frame(mi, &frames[i], now);
    }
}

/* ------------------------------------------------------------ self test (-t): the scanner, SHA-256, HMAC, proofs */
static int parse_datagram_test(const char *b, int len, int *nframes)
{
    int proven;
    return parse_datagram(b, len, nframes, &proven);
}

static int hex_is(const uint8_t *b, size_t n, const char *want, const char *what)
{
    char got[2 * 64 + 1];
    for (size_t i = 0; i < n; i++) { got[2 * i] = HEX[b[i] >> 4]; got[2 * i + 1] = HEX[b[i] & 15]; }
    got[2 * n] = 0;
    if (!strcmp(got, want)) return 0;
    fprintf(stderr, "self test %s: got %s, want %s\n", what, got, want);
    return 1;
}

/* SHA-256 (FIPS 180-4 examples), HMAC-SHA256 (RFC 4231 cases 1 and 2), and the proofs of src/core/wire/proof.ts.
 * The proof fixtures were made with bun from the TypeScript code, at the repo's root:
 *   bun -e 'import { proofKey, prove } from "./src/core/wire/proof.ts"; const k = proofKey("0123456789abcdef"),
 *     hex = (b) => Buffer.from(b).toString("hex"), u = (s) => new TextEncoder().encode(s); console.log(hex(k));
 *     console.log(hex(prove(k, "member", 1795299751002000, u(process.argv[1])).subarray(0, 25)));
 *     console.log(hex(prove(k, "server", 42, u(process.argv[2])).subarray(0, 25)))' "$PING" "$TICK"
 * with PING and TICK the two frames below. Returns the number of cases; *bad counts the failures. */
static int crypto_self_test(int *bad)
{
    static const char PING[] = "{\"v\":3,\"type\":\"ping\",\"sid\":\"00112233445566778899aabbccddeeff\"}";
    static const char TICK[] = "{\"v\":3,\"type\":\"tick\",\"seq\":6,\"epoch\":\"9f2c1d0e8b7a6354\",\"ts\":1}";
    struct sha256 sh;
    struct hmac_key k;
    uint8_t out[32], dg[MAX_DGRAM];
    int cases = 0;

    sha256_init(&sh, SHA_IV, 0);
    sha256_update(&sh, "abc", 3);
    sha256_final(&sh, out);
    *bad += hex_is(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256(abc)"), cases++;
    sha256_init(&sh, SHA_IV, 0);
    sha256_final(&sh, out);
    *bad += hex_is(out, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256()"), cases++;
    sha256_init(&sh, SHA_IV, 0); /* 1000 x "a", fed 7 bytes at a time: the partial-block paths */
    for (int i = 0; i < 1000; i += 7) sha256_update(&sh, "aaaaaaa", i + 7 <= 1000 ? 7 : (size_t)(1000 - i));
    sha256_final(&sh, out);
    *bad += hex_is(out, 32, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3", "sha256(a x 1000)"), cases++;

    uint8_t k1[20];
    memset(k1, 0x0b, sizeof k1);
    hmac_key_init(&k, k1, sizeof k1);
    hmac256(&k, "Hi There", 8, NULL, 0, out);
    *bad += hex_is(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", "RFC 4231 case 1"), cases++;
    hmac_key_init(&k, "Jefe", 4);
    hmac256(&k, "what do ya ", 11, "want for nothing?", 17, out); /* in two parts, as a proof's tag is made */
    *bad += hex_is(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", "RFC 4231 case 2"), cases++;

    /* the proof key: K itself is HMAC(nonce, label); compare it, then prove with it */
    struct hmac_key nk;
    hmac_key_init(&nk, "0123456789abcdef", 16);
    hmac256(&nk, "chat/3 proof", 12, NULL, 0, out);
    *bad += hex_is(out, 32, "3ce5a57e935c0ad08a39fa29d9f1406676c7a553f9ef1df33dd3570b8d32ab4b", "proofKey"), cases++;
    proof_key(&k, "0123456789abcdef", 16);
    memcpy(dg + PROOF_BYTES, PING, sizeof PING - 1);
    prove_at(&k, 'm', 1795299751002000ull, dg, sizeof PING - 1);
    *bad += hex_is(dg, PROOF_BYTES, "c6000660d0cbec7f903b7c75a7ca8f8790efccc6bc393470ef", "a member's proven ping"), cases++;
    memcpy(dg + PROOF_BYTES, TICK, sizeof TICK - 1);
    prove_at(&k, 's', 42, dg, sizeof TICK - 1);
    *bad += hex_is(dg, PROOF_BYTES, "c6000000000000002a3cd954703f7b07680392cd765f71f973", "the server's proven tick"), cases++;

    /* a proven datagram is read past its proof; a malformed proof drops it; an unproven one is read as it is */
    int nf = 0, proven = 0, len = PROOF_BYTES + (int)sizeof TICK - 1;
    if (parse_datagram((const char *)dg, len, &nf, &proven) || nf != 1 || !proven || frames[0].type != T_TICK) {
        fprintf(stderr, "self test: the proven tick was not read\n");
        (*bad)++;
    }
    if (parse_datagram(TICK, (int)sizeof TICK - 1, &nf, &proven) || nf != 1 || proven) {
        fprintf(stderr, "self test: the unproven tick was not read\n");
        (*bad)++;
    }
    cases += 2;
    uint8_t zero[8] = { 0 }, big[8] = { 0, 0x20, 0, 0, 0, 0, 0, 0 }; /* counters 0 and 2^53 */
    memcpy(dg + 1, zero, 8);
    *bad += !parse_datagram((const char *)dg, len, &nf, &proven), cases++;
    memcpy(dg + 1, big, 8);
    *bad += !parse_datagram((const char *)dg, len, &nf, &proven), cases++;
    *bad += !parse_datagram((const char *)dg, PROOF_BYTES, &nf, &proven), cases++; /* a proof and no body */
    return cases;
}

static int self_test(void)
{
    struct { const char *d; int ok, frames; const char *text; } T[] = {
        { "{\"v\":3,\"type\":\"message\",\"seq\":6,\"ts\":1795299751002,\"from\":\"alice\",\"text\":\"hi\"}", 1, 1, "hi" },
        /* escapes, a surrogate pair, a BMP escape, raw UTF-8 */
        { "{\"v\":3,\"type\":\"message\",\"seq\":7,\"ts\":1,\"from\":\"bob\",\"text\":\"a\\\"b\\\\c\\n\\u00e9\\ud83d\\ude00\\/ \xe4\xbd\xa0\"}", 1, 1,
          "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80/ \xe4\xbd\xa0" },
        /* packed: three frames, whitespace, fields in another order, unknown fields */
        { "{\"v\":3,\"type\":\"join\",\"seq\":1,\"ts\":1,\"name\":\"a\"}\n{ \"type\" : \"leave\", \"v\":3.0,\"seq\":2,\"ts\":2,\"name\":\"a\",\"reason\":\"quit\",\"x\":[1,{\"y\":null}]}\n{\"v\":3,\"type\":\"hidden\",\"seq\":3e0}", 1, 3, NULL },
        { "{\"v\":3,\"type\":\"welcome\",\"sid\":\"0123456789abcdef0123456789abcdef\",\"name\":\"x\",\"members\":[\"b\",\"c\\u0064\"],\"count\":2,\"seq\":5,\"backlog\":0,\"epoch\":\"9f2c1d0e8b7a6354\",\"ts\":1}", 1, 1, NULL },
        /* the welcome's optional allowance and peer timeout; the probe and the server's goodbye */
        { "{\"v\":3,\"type\":\"welcome\",\"sid\":\"0123456789abcdef0123456789abcdef\",\"name\":\"x\",\"members\":[],\"count\":0,\"seq\":5,\"backlog\":0,\"epoch\":\"9f2c1d0e8b7a6354\",\"ts\":1,\"burst\":20,\"refillMs\":1000,\"timeoutMs\":15000}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"probe\"}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"stopping\"}", 1, 1, NULL },
        /* a rename (a room event), the away notice, a members page with away marks */
        { "{\"v\":3,\"type\":\"rename\",\"seq\":8,\"ts\":1,\"from\":\"alice\",\"to\":\"ally\"}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"away_notice\",\"name\":\"bob\",\"reason\":\"\"}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"members\",\"id\":4,\"names\":[\"a\",\"b\"],\"total\":2,\"next\":0,\"away\":[{\"name\":\"b\",\"reason\":\"lunch\"}]}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"rename\",\"seq\":8,\"ts\":1,\"from\":\"alice\"}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"ack\",\"id\":1,\"seq\":6}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"tick\",\"seq\":6,\"epoch\":\"9f2c1d0e8b7a6354\",\"ts\":1}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"lost\",\"from\":3,\"to\":9}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"refused\",\"reason\":\"rate_limited\",\"id\":4}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"refused\",\"reason\":\"version\",\"version\":2}", 1, 1, NULL },
        { "{\"v\":3,\"type\":\"say\",\"sid\":\"x\",\"id\":1,\"base\":1,\"text\":\"a request: valid, ignored\"}", 1, 1, NULL },
        /* a key with an escape */
        { "{\"v\":3,\"\\u0074ype\":\"hidden\",\"seq\":3}", 1, 1, NULL },
        /* invalid: each drops the whole datagram */
        { "{\"v\":1,\"type\":\"hidden\",\"seq\":3}", 0, 0, NULL },            /* another version: v1 */
        { "{\"v\":4,\"type\":\"hidden\",\"seq\":3}", 0, 0, NULL },            /* another version: v4 */
        { "{\"type\":\"hidden\",\"seq\":3}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"nosuch\",\"seq\":3}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":-3}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":3.5}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":\"3\"}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"hidden\"}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":9007199254740992}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"ack\",\"id\":4294967296}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"refused\",\"reason\":\"new_reason\"}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"message\",\"seq\":6,\"ts\":1,\"from\":\"a\",\"text\":\"\"}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"message\",\"seq\":6,\"ts\":1,\"from\":\"a\",\"text\":\"tab\there\"}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"message\",\"seq\":6,\"ts\":1,\"from\":\"a\",\"text\":\"bad \\x escape\"}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":3}\n", 0, 0, NULL },            /* an empty frame */
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":3}\n{\"v\":3}", 0, 0, NULL },   /* one bad frame spoils all */
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":3} x", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":3,}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"hidden\",\"seq\":03}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"message\",\"seq\":6,\"ts\":1,\"from\":\"a\",\"text\":\"\xc0\xaf\"}", 0, 0, NULL }, /* overlong UTF-8 */
        { "{\"v\":3,\"type\":\"message\",\"seq\":6,\"ts\":1,\"from\":\"a\",\"text\":\"\xed\xa0\x80\"}", 0, 0, NULL }, /* a surrogate */
        { "{\"v\":3,\"type\":\"welcome\",\"sid\":\"0123456789ABCDEF0123456789abcdef\",\"name\":\"x\",\"members\":[],\"count\":0,\"seq\":5,\"backlog\":0,\"epoch\":\"9f2c1d0e8b7a6354\",\"ts\":1}", 0, 0, NULL },
        { "{\"v\":3,\"type\":\"welcome\",\"sid\":\"0123456789abcdef0123456789abcdef\",\"name\":\"x\",\"members\":[1],\"count\":0,\"seq\":5,\"backlog\":0,\"epoch\":\"9f2c1d0e8b7a6354\",\"ts\":1}", 0, 0, NULL },
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        int nf = 0, r = parse_datagram_test(T[i].d, (int)strlen(T[i].d), &nf);
        int ok = r == 0;
        if (ok != T[i].ok || (ok && nf != T[i].frames)) {
            fprintf(stderr, "self test %zu: expected %s (%d frames), got %s (%d)\n", i, T[i].ok ? "valid" : "invalid", T[i].frames,
                    ok ? "valid" : "invalid", nf);
            bad++;
            continue;
        }
        if (ok && T[i].text) {
            const struct str *t = &frames[0].s[K_TEXT];
            if (t->n != (int)strlen(T[i].text) || memcmp(t->p, T[i].text, (size_t)t->n)) {
                fprintf(stderr, "self test %zu: text decoded as \"%.*s\"\n", i, t->n, t->p);
                bad++;
            }
        }
    }
    /* a datagram as the server packs it: six of our messages */
    char big[MAX_DGRAM + 1], *p = big;
    for (int k = 0; k < 6; k++) {
        if (k) *p++ = '\n';
        p += sprintf(p, "{\"v\":3,\"type\":\"message\",\"seq\":%d,\"ts\":1795299751002,\"from\":\"abc0\",\"text\":\"T%016xS%08x%.74s\"}",
                     100 + k, 0x1234 + k, k, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }
    int nf = 0;
    if (parse_datagram_test(big, (int)(p - big), &nf) || nf != 6 || frames[5].num[K_SEQ] != 105) { fprintf(stderr, "self test: packed datagram\n"); bad++; }
    int crypto = crypto_self_test(&bad);
    fprintf(stderr, "chatload self test: %zu cases, %d failed\n", sizeof T / sizeof T[0] + 1 + (size_t)crypto, bad);
    return bad ? 1 : 0;
}

/* ------------------------------------------------------------ receiving */
static char rxb[RB][RXBUF];
static struct iovec rxiov[RB];
static struct mmsghdr rxv[RB];
#define CTLLEN CMSG_SPACE(sizeof(struct timespec))
static union { char buf[CTLLEN]; struct cmsghdr align; } rxctl[RB];

static inline uint64_t arrival_of(struct msghdr *h, uint64_t fallback)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            int64_t r = (int64_t)ts.tv_sec * (int64_t)SEC + ts.tv_nsec - real_off;
            return r > 0 ? (uint64_t)r : fallback;
        }
    c_no_ts++;
    return fallback;
}

/* drains one socket (edge-triggered: to EAGAIN), at most 8 batches at a time */
static void readable(int mi)
{
    for (int turn = 0; turn < 8; turn++) {
        int n = recvmmsg(Mb[mi].fd, rxv, RB, MSG_DONTWAIT, NULL);
        c_recv_calls++;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) { c_recv_err++; continue; } /* e.g. ECONNREFUSED: read on */
            return;
        }
        if (n == 0) return;
        uint64_t t = now_ns();
        for (int i = 0; i < n; i++) {
            struct msghdr *h = &rxv[i].msg_hdr;
            rx_arrival = arrival_of(h, t);
            if (h->msg_flags & MSG_TRUNC) { c_datagrams++; c_truncated++; c_undecodable++; }
            else on_datagram(mi, rxb[i], (int)rxv[i].msg_len, t);
            h->msg_flags = 0;
            h->msg_controllen = CTLLEN;
        }
        if (n < RB) return;
    }
    if (!pending[mi]) { pending[mi] = 1; pend_list[npend++] = mi; } /* more to read: next round, epoll will not say */
}

/* ------------------------------------------------------------ /proc */
static double self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double proc_cpu_s(int pid)
{
    if (pid <= 0) return -1;
    char p[64], buf[2048];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *q = strrchr(buf, ')');
    if (!q) return -1;
    unsigned long ut = 0, st = 0;
    if (sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long proc_status_kb(int pid, const char *field)
{
    if (pid <= 0) return -1;
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    long v = -1;
    size_t fl = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, fl) && line[fl] == ':') { v = strtol(line + fl + 1, NULL, 10); break; }
    fclose(f);
    return v;
}

/* kernel drops (full receive buffers) at the server's socket and at ours, from /proc/net/udp */
static void udp_drops(uint64_t *srv, uint64_t *ours)
{
    *srv = *ours = 0;
    FILE *f = fopen("/proc/net/udp", "r");
    if (!f) return;
    char line[512];
    if (!fgets(line, sizeof line, f)) { fclose(f); return; }
    while (fgets(line, sizeof line, f)) {
        unsigned la, lp;
        if (sscanf(line, " %*d: %x:%x", &la, &lp) != 2 || la != 0x0100007F) continue;
        char *e = line + strlen(line);
        while (e > line && (e[-1] == ' ' || e[-1] == '\n')) e--;
        *e = 0;
        char *last = strrchr(line, ' ');
        if (!last) continue;
        uint64_t d = strtoull(last + 1, NULL, 10);
        if ((int)lp == port) *srv += d;
        else if (lp < 65536 && port2m[lp] >= 0) *ours += d;
    }
    fclose(f);
}

struct snap { uint64_t t; double scpu, gcpu; };
static void take_snap(struct snap *x)
{
    x->t = now_ns();
    x->scpu = proc_cpu_s(server_pid);
    x->gcpu = self_cpu_s();
}

/* ------------------------------------------------------------ the loop */
static struct epoll_event evs[MAXEV];
static uint64_t next_sweep, next_progress;
static struct snap snapA, snapL;
static int snapping;

static uint64_t pace_tick_next;
static void pace(uint64_t now)
{
    if (phase != P_SEND || count_mode) return;
    if (pace_gran_us) { /* what fell due since the last tick goes out together (bench/load.ts ticks every 2 ms) */
        if (now < pace_tick_next) return;
        pace_tick_next = now + (uint64_t)pace_gran_us * 1000;
    }
    for (int j = 0; j < 4096 && created_total < total; j++) {
        uint64_t due = t0_pace + (uint64_t)((double)created_total * pace_ns);
        if (due > now) break;
        struct sender *s = &Sd[created_total % (uint64_t)S];
        if (Mb[s->mi].state == M_DEAD || Mb[s->mi].state == M_IDLE) { created_total++; c_skipped_msgs++; continue; }
        if (now - due > send_lag_max && !pace_gran_us) send_lag_max = now - due;
        ob_add(s, (uint32_t)created_total, now);
        ob_flush_due(s, now);
    }
}

static uint64_t pace_next(void)
{
    if (phase != P_SEND || count_mode || created_total >= total) return UINT64_MAX;
    uint64_t due = t0_pace + (uint64_t)((double)created_total * pace_ns);
    return pace_gran_us && pace_tick_next > due ? pace_tick_next : due;
}

static void progress(uint64_t now)
{
    if (quiet) return;
    static const char *PH[] = { "login", "settle", "send", "drain", "done" };
    fprintf(stderr, "[chatload] %s: joined %d/%d, sent %" PRIu64 "/%" PRIu64 ", acked %" PRIu64 ", delivered %" PRIu64
            ", retrans %" PRIu64 ", nacks %" PRIu64 ", lagging %d, datagrams %" PRIu64 "\n",
            PH[phase], joined, N, created_total, total, c_acked, c_delivered, c_retrans, c_nacks, nlagging, c_datagrams);
    (void)now;
}

static void sweep(uint64_t now)
{
    for (int mi = 0; mi < N; mi++) {
        struct member *m = &Mb[mi];
        switch (m->state) {
        case M_JOINING: login_step(mi, now, RETRY_NS); break;
        case M_LOST: login_step(mi, now, REJOIN_NS); break;
        case M_IN:
            if (now - m->last_heard >= SILENCE_NS) { lose(mi); login_step(mi, now, 0); break; }
            if (now - m->last_sent >= HEARTBEAT_NS) send_ping(mi);
            break;
        }
    }
    /* repairs of the members that are behind */
    int j = 0;
    for (int i = 0; i < nlagging; i++) {
        int mi = lagging_list[i];
        repair(mi, now);
        if (Mb[mi].lagging) lagging_list[j++] = mi;
    }
    nlagging = j;
    for (int i = 0; i < S; i++) if (Mb[Sd[i].mi].state == M_IN) sender_service(&Sd[i], now);
}

static void poll_once(void)
{
    uint64_t now = now_ns();
    if (now >= next_sweep) {
        sweep(now);
        next_sweep = now + SWEEP_NS;
    }
    pace(now);
    for (int i = 0; i < S; i++) if (Sd[i].next_due <= now) sender_service(&Sd[i], now);
    if (now >= next_progress) { progress(now); next_progress = now + SEC; }
    out_flush();
    /* sleep until the next thing due */
    uint64_t wake = next_sweep, pn = pace_next();
    if (pn < wake) wake = pn;
    for (int i = 0; i < S; i++) if (Sd[i].next_due < wake) wake = Sd[i].next_due;
    now = now_ns();
    /* while traffic flows, read at most once per coalesce period: each wakeup then finds many sockets
     * ready instead of one or two (latency is also taken from the kernel's arrival stamps) */
    static uint64_t last_round;
    uint64_t co = (uint64_t)coalesce_us * 1000;
    if (co && !npend && now - last_rx < 5 * MS && now - last_round < co) {
        uint64_t until = last_round + co;
        if (until > wake) until = wake;
        /* the senders are not held back: their acks (and so the offered load) are handled at once */
        for (int k = 0; now < until && k < 64; k++) {
            int64_t d = (int64_t)(until - now);
            struct timespec dt = { d / (int64_t)SEC, d % (int64_t)SEC };
            int m = epoll_pwait2(ep_send, evs, MAXEV, &dt, NULL);
            if (m < 0 && errno != EINTR) die("epoll_pwait2");
            for (int i = 0; i < m; i++) readable((int)evs[i].data.u32);
            out_flush();
            now = now_ns();
            if (m <= 0) break;
        }
    }
    int64_t to = wake > now ? (int64_t)(wake - now) : 0;
    if (to > (int64_t)(50 * MS)) to = 50 * MS;
    if (npend) to = 0;
    struct timespec ts = { to / (int64_t)SEC, to % (int64_t)SEC };
    int n = epoll_pwait2(ep, evs, MAXEV, &ts, NULL);
    last_round = now_ns();
    if (n < 0) {
        if (errno == EINTR) return;
        die("epoll_pwait2");
    }
    if (snapping) { c_epoll_calls++; c_epoll_ready += (uint64_t)n; }
    if (npend) {
        int k = npend;
        npend = 0;
        for (int i = 0; i < k; i++) { int mi = pend_list[i]; pending[mi] = 0; readable(mi); }
    }
    for (int i = 0; i < n; i++) readable((int)evs[i].data.u32);
    if (nrepair) {
        uint64_t t = now_ns();
        for (int i = 0; i < nrepair; i++) {
            int mi = repair_list[i];
            Mb[mi].repair_now = 0;
            repair(mi, t);
        }
        nrepair = 0;
    }
    out_flush();
    if (snapping) { /* CPU snapshots while traffic flows: the window ends with the traffic */
        uint64_t t = now_ns(), act = last_rx > last_tx ? last_rx : last_tx;
        if (act > snapL.t && t - snapL.t >= SNAP_NS) take_snap(&snapL);
    }
}

static int time_left(uint64_t until)
{
    uint64_t t = now_ns();
    if (t >= hard_deadline) { deadline_hit = 1; return 0; }
    return t < until;
}

/* ------------------------------------------------------------ setup */
static void open_members(void)
{
    for (int i = 0; i < RB; i++) {
        rxiov[i].iov_base = rxb[i];
        rxiov[i].iov_len = RXBUF;
        rxv[i].msg_hdr.msg_iov = &rxiov[i];
        rxv[i].msg_hdr.msg_iovlen = 1;
        rxv[i].msg_hdr.msg_control = rxctl[i].buf;
        rxv[i].msg_hdr.msg_controllen = CTLLEN;
    }
    int one = 1;
    struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    srv.sin_addr.s_addr = htonl(0x7F000001);
    unsigned char rnd[8 * 4096];
    for (int i = 0; i < N; i++) {
        struct member *m = &Mb[i];
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket");
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_req, sizeof rcvbuf_req);
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) die("SO_TIMESTAMPNS");
        struct sockaddr_in a = { .sin_family = AF_INET };
        a.sin_addr.s_addr = htonl(0x7F000001);
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
        /* one peer, the server: only its datagrams are taken, and the route is looked up once */
        if (connect(fd, (struct sockaddr *)&srv, sizeof srv) < 0) die("connect");
        socklen_t al = sizeof a;
        getsockname(fd, (struct sockaddr *)&a, &al);
        m->fd = fd;
        m->port = ntohs(a.sin_port);
        port2m[m->port] = i;
        m->sender = -1;
        m->namelen = (uint8_t)snprintf(m->name, sizeof m->name, "%s%d", tag, i);
        if (i % 4096 == 0 && getrandom(rnd, sizeof rnd, 0) < 0) die("getrandom");
        put_hex(m->nonce, 0, 16);
        for (int k = 0; k < 8; k++) { m->nonce[2 * k] = HEX[rnd[(i % 4096) * 8 + k] >> 4]; m->nonce[2 * k + 1] = HEX[rnd[(i % 4096) * 8 + k] & 15]; }
        m->nonce[16] = 0;
        proof_key(&m->key, m->nonce, 16);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "chatload: hard deadline passed (alarm); giving up\n";
    if (write(2, msg, sizeof msg - 1) < 0) {}
    _exit(3);
}

static void usage(const char *a)
{
    fprintf(stderr,
            "usage: %s [-p port] [-n members] [-s senders] [-m msgs/sender] [-d seconds] [-r total msgs/s (0: as fast\n"
            "          as the window allows)] [-b text bytes] [-S server pid] [-q] [-D drain s (5)] [-T send phase max s]\n"
            "          [-w login window (64)] [-B rcvbuf bytes (4 MiB)] [-e (send bye at the end)]\n"
            "          [-c us: receivers read at most once per this long while traffic flows (1000; 0: at every wakeup)]\n"
            "          [-g us: pacer granularity, messages due in one tick go out together (0: exact)]\n"
            "          [-t (run the scanner's self test and exit)]\n"
            "  server: 127.0.0.1 only. -d needs -r (messages = r*d in all); without -d, -m per sender (default 1000).\n", a);
    exit(2);
}

int main(int argc, char **argv)
{
    int o;
    while ((o = getopt(argc, argv, "h:p:n:s:m:b:r:d:D:T:B:w:S:qec:tg:")) != -1) {
        switch (o) {
        case 'h':
            if (strcmp(optarg, "127.0.0.1")) { fprintf(stderr, "chatload: only 127.0.0.1\n"); return 2; }
            break;
        case 'p': port = atoi(optarg); break;
        case 'n': N = atoi(optarg); break;
        case 's': S = atoi(optarg); break;
        case 'm': M = atol(optarg); break;
        case 'b': B = atoi(optarg); break;
        case 'r': R = atof(optarg); break;
        case 'd': Dur = atof(optarg); break;
        case 'D': drain_s = atof(optarg); break;
        case 'T': send_max_s = atof(optarg); break;
        case 'B': rcvbuf_req = atoi(optarg); break;
        case 'w': login_window = atoi(optarg); break;
        case 'S': server_pid = atoi(optarg); break;
        case 'q': quiet = 1; break;
        case 'e': send_bye = 1; break;
        case 'c': coalesce_us = atoi(optarg); break;
        case 't': return self_test();
        case 'g': pace_gran_us = atoi(optarg); break;
        default: usage(argv[0]);
        }
    }
    if (N < 2 || N > 60000 || S < 1 || S > N || B < TSLEN || B > MAX_TEXT || port <= 0 || port > 65535 ||
        login_window < 1 || M < 0 || R < 0 || drain_s < 0)
        usage(argv[0]);
    if (Dur > 0 && R <= 0) { fprintf(stderr, "chatload: -d needs -r\n"); return 2; }
    count_mode = R <= 0;
    total = Dur > 0 ? (uint64_t)llround(R * Dur) : (uint64_t)S * (uint64_t)M;
    if (total > 0xFFFFFFF0ull) usage(argv[0]);
    if (send_max_s <= 0) send_max_s = count_mode ? 60.0 : (double)total / R + 20.0;

    if (getenv("CHATLOAD_DEBUG_NACKS")) debug_nacks = atoi(getenv("CHATLOAD_DEBUG_NACKS"));
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    unsigned char tr[3];
    if (getrandom(tr, sizeof tr, 0) < 0) die("getrandom");
    for (int i = 0; i < 3; i++) tag[i] = (char)('a' + tr[i] % 26);
    srand((unsigned)(tr[0] | tr[1] << 8 | tr[2] << 16));

    Mb = calloc((size_t)N, sizeof *Mb);
    port2m = malloc(65536 * sizeof *port2m);
    table = calloc(TABLE_SIZE, sizeof *table);
    lagging_list = malloc((size_t)N * sizeof *lagging_list);
    repair_list = malloc((size_t)N * sizeof *repair_list);
    pend_list = malloc((size_t)N * sizeof *pend_list);
    pending = calloc((size_t)N, 1);
    if (!pend_list || !pending) die("malloc");
    Sd = calloc((size_t)S, sizeof *Sd);
    msgbody = malloc((size_t)B);
    if (!Mb || !port2m || !table || !lagging_list || !repair_list || !Sd || !msgbody) die("malloc");
    memset(port2m, 0xff, 65536 * sizeof *port2m);
    memset(msgbody, 'x', (size_t)B);
    seen_words = (size_t)((total + 63) / 64);
    if ((double)N * (double)seen_words * 8.0 <= 512.0 * 1024 * 1024) {
        seenmsg = calloc(seen_words ? (size_t)N * seen_words : 1, sizeof *seenmsg);
        if (!seenmsg) die("calloc");
    }
    for (int i = 0; i < S; i++) {
        struct sender *s = &Sd[i];
        s->mi = i;
        s->cap = 64;
        s->q = calloc(s->cap, sizeof *s->q);
        s->next_id = 1;
        s->next_due = UINT64_MAX;
        s->quota = count_mode ? M : 0;
        if (!s->q) die("calloc");
    }

    ep = epoll_create1(EPOLL_CLOEXEC);
    ep_send = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0 || ep_send < 0) die("epoll_create1");
    open_members();
    for (int i = 0; i < S; i++) {
        struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i };
        if (epoll_ctl(ep_send, EPOLL_CTL_ADD, Mb[i].fd, &ev) < 0) die("epoll_ctl");
        Mb[i].sender = i;
        Mb[i].own = calloc(WIN_WORDS, sizeof(uint64_t));
        if (!Mb[i].own) die("calloc");
    }
    int rcvbuf_eff = 0;
    socklen_t rl = sizeof rcvbuf_eff;
    getsockopt(Mb[0].fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_eff, &rl);

    {   /* realtime - monotonic, from the tightest of a few samples */
        uint64_t best = UINT64_MAX;
        for (int i = 0; i < 16; i++) {
            struct timespec a, r, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            clock_gettime(CLOCK_REALTIME, &r);
            clock_gettime(CLOCK_MONOTONIC, &b);
            uint64_t ma = (uint64_t)a.tv_sec * SEC + (uint64_t)a.tv_nsec, mb = (uint64_t)b.tv_sec * SEC + (uint64_t)b.tv_nsec;
            if (mb - ma < best) {
                best = mb - ma;
                real_off = (int64_t)r.tv_sec * (int64_t)SEC + r.tv_nsec - (int64_t)(ma + (mb - ma) / 2);
            }
        }
    }
    uint64_t t_start = now_ns();
    double bound_s = login_max_s + settle_max_s + send_max_s + drain_s + 5.0;
    hard_deadline = t_start + (uint64_t)(bound_s * 1e9);
    signal(SIGALRM, on_alarm);
    alarm((unsigned)ceil(bound_s) + 15);
    next_sweep = t_start + SWEEP_NS;
    next_progress = t_start + SEC;
    if (!quiet)
        fprintf(stderr, "[chatload] %d members (names %s0..%s%d) -> 127.0.0.1:%d; %d sender(s), %" PRIu64 " messages of %d bytes, %s\n",
                N, tag, tag, N - 1, port, S, total, B, count_mode ? "as fast as the window allows" : "paced");

    /* ---- 1. login */
    phase = P_LOGIN;
    start_logins(now_ns());
    {
        uint64_t until = t_start + (uint64_t)(login_max_s * 1e9), progress_at = now_ns();
        int seen = -1;
        while (joined + (int)c_login_failed < N && time_left(until)) {
            poll_once();
            if (joined != seen) { seen = joined; progress_at = now_ns(); }
            if (now_ns() - progress_at > 10 * SEC) break; /* logins stopped progressing */
        }
    }
    uint64_t t_joined = now_ns();
    if (joined < N) fprintf(stderr, "chatload: only %d of %d members got in\n", joined, N);
    int senders_in = 0;
    for (int i = 0; i < S; i++) senders_in += Mb[i].state == M_IN;
    if (!senders_in) { fprintf(stderr, "chatload: no sender could log in\n"); return 1; }

    /* ---- 2. settle: the join storm delivered and repaired, then 300 ms of quiet */
    phase = P_SETTLE;
    {
        uint64_t until = now_ns() + (uint64_t)(settle_max_s * 1e9);
        last_rx = now_ns();
        while (time_left(until)) {
            poll_once();
            if (now_ns() - last_rx < QUIET_NS) continue;
            int behind = 0;
            for (int mi = 0; mi < N; mi++)
                if (Mb[mi].state == M_IN && Mb[mi].next <= room_seq) { behind = 1; know(mi, room_seq); }
            if (!behind) break;
            c_quiet_reveals++;
            last_rx = now_ns(); /* the next reveal after another quiet period */
        }
    }
    uint64_t settled_events = c_events;
    uint64_t settle_s_ns = now_ns() - t_joined;

    /* ---- 3. send */
    uint64_t ds0, do0, ds1, do1;
    udp_drops(&ds0, &do0);
    uint64_t dg0 = c_datagrams;
    phase = P_SEND;
    take_snap(&snapA);
    snapL = snapA;
    snapping = 1;
    uint64_t t_send = now_ns();
    t0_pace = t_send;
    pace_ns = count_mode ? 0 : 1e9 / R;
    {
        uint64_t until = t_send + (uint64_t)(send_max_s * 1e9);
        for (int i = 0; i < S; i++) sender_service(&Sd[i], t_send);
        pace(t_send);
        while (time_left(until)) {
            int busy = created_total < total;
            for (int i = 0; i < S && !busy; i++) if (Sd[i].live && Mb[Sd[i].mi].state != M_DEAD) busy = 1;
            if (!busy) break;
            poll_once();
        }
        if (now_ns() >= until) deadline_hit = 1;
    }
    uint64_t t_sent = now_ns();

    /* ---- 4. drain: receivers catch up from what the server still sends (it acks before it fans out,
     * so right after the last ack most of the events may still be on their way); once the room has been
     * quiet for 300 ms, those still behind are told the last seq, as the server's next tick would tell
     * them 2 s later, and repair; at most -D s after the last ack */
    phase = P_DRAIN;
    {
        uint64_t until = now_ns() + (uint64_t)(drain_s * 1e9);
        while (time_left(until)) {
            int behind = 0;
            for (int mi = 0; mi < N && !behind; mi++)
                if (Mb[mi].state == M_IN && Mb[mi].next <= last_seq) behind = 1;
            if (!behind) break;
            poll_once();
            if (now_ns() - last_rx >= QUIET_NS) {
                for (int mi = 0; mi < N; mi++) if (Mb[mi].state == M_IN && Mb[mi].next) know(mi, last_seq);
                c_quiet_reveals++;
                last_rx = now_ns();
            }
        }
    }
    snapping = 0;
    uint64_t act = last_rx > last_tx ? last_rx : last_tx;
    if (snapL.t < act || snapL.t == snapA.t) take_snap(&snapL);
    udp_drops(&ds1, &do1);
    phase = P_DONE;
    uint64_t t_end = now_ns();
    long server_hwm = proc_status_kb(server_pid, "VmHWM"), server_rss = proc_status_kb(server_pid, "VmRSS");

    if (send_bye) {
        for (int mi = 0; mi < N; mi++) {
            if (Mb[mi].state != M_IN) continue;
            uint32_t id = Mb[mi].sender >= 0 ? Sd[Mb[mi].sender].next_id++ : 1;
            send_bye_frame(mi, id);
            send_bye_frame(mi, id); /* twice, without waiting, as a client whose parent died */
        }
        out_flush();
    }

    /* ---- results */
    uint64_t made = created_total - c_skipped_msgs;
    uint64_t expected = made * (uint64_t)(N - 1);
    uint64_t unrepaired = c_skipped_unrepaired, incomplete = 0, rx_min = UINT64_MAX, rx_max = 0;
    for (int mi = 0; mi < N; mi++) {
        struct member *m = &Mb[mi];
        if (mi >= S) {
            if (m->delivered < rx_min) rx_min = m->delivered;
            if (m->delivered > rx_max) rx_max = m->delivered;
        }
        if (m->state != M_IN || !m->next || m->next > last_seq) continue;
        incomplete++;
        for (uint64_t s = m->next; s <= last_seq; s++)
            if (s - m->next >= RECV_WINDOW || !present(m, s)) unrepaired++;
    }
    if (rx_min == UINT64_MAX) rx_min = 0;
    uint64_t lost = expected > c_delivered ? expected - c_delivered : 0;
    double win = (double)((last_delivery > first_send ? last_delivery : t_sent) - (first_send ? first_send : t_send)) / 1e9;
    double cwin = (double)(snapL.t - snapA.t) / 1e9;
    double gcpu = snapL.gcpu - snapA.gcpu;
    double scpu = snapA.scpu >= 0 && snapL.scpu >= 0 ? snapL.scpu - snapA.scpu : -1;
    char refused[1024];
    int rp = snprintf(refused, sizeof refused, "{");
    for (int i = 0; i < NREASONS; i++)
        if (refused_by[i]) rp += snprintf(refused + rp, sizeof refused - (size_t)rp, "%s\"%s\":%" PRIu64, rp > 1 ? "," : "", REASONS[i], refused_by[i]);
    snprintf(refused + rp, sizeof refused - (size_t)rp, "}");
    char sbuf[64], shwm[64], srss[64], spct[64], lat[160];
    char lat2[200];
    /* lat_*: to the kernel's arrival stamp at the member's socket; read_lat_*: to when chatload read it */
    if (H_arr.n) snprintf(lat, sizeof lat, "\"lat_p50_us\":%.1f,\"lat_p90_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_max_us\":%.1f",
                          pct_us(&H_arr, 50), pct_us(&H_arr, 90), pct_us(&H_arr, 99), (double)H_arr.max / 1000.0);
    else snprintf(lat, sizeof lat, "\"lat_p50_us\":null,\"lat_p90_us\":null,\"lat_p99_us\":null,\"lat_max_us\":null");
    if (H_read.n) snprintf(lat2, sizeof lat2, "\"read_lat_p50_us\":%.1f,\"read_lat_p90_us\":%.1f,\"read_lat_p99_us\":%.1f,\"read_lat_max_us\":%.1f",
                           pct_us(&H_read, 50), pct_us(&H_read, 90), pct_us(&H_read, 99), (double)H_read.max / 1000.0);
    else snprintf(lat2, sizeof lat2, "\"read_lat_p50_us\":null,\"read_lat_p90_us\":null,\"read_lat_p99_us\":null,\"read_lat_max_us\":null");
    if (scpu >= 0) { snprintf(sbuf, sizeof sbuf, "%.3f", scpu); snprintf(spct, sizeof spct, "%.1f", cwin > 0 ? 100 * scpu / cwin : 0); }
    else { strcpy(sbuf, "null"); strcpy(spct, "null"); }
    if (server_hwm >= 0) snprintf(shwm, sizeof shwm, "%.1f", server_hwm / 1024.0); else strcpy(shwm, "null");
    if (server_rss >= 0) snprintf(srss, sizeof srss, "%.1f", server_rss / 1024.0); else strcpy(srss, "null");

    printf("{\"tool\":\"chatload\",\"port\":%d,\"members\":%d,\"joined\":%d,\"senders\":%d,\"text_bytes\":%d,\"rate\":%.0f,"
           "\"mode\":\"%s\",\"sent\":%" PRIu64 ",\"acked\":%" PRIu64 ",\"acked_without_seq\":%" PRIu64 ",\"gave_up\":%" PRIu64
           ",\"refused_says\":%" PRIu64 ",\"expected\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"lost\":%" PRIu64
           ",\"loss_pct\":%.4f,\"duplicates\":%" PRIu64 ",\"duplicate_deliveries\":%" PRIu64 ",\"own_echoes\":%" PRIu64 ",\"before_stream\":%" PRIu64
           ",\"gaps_unrepaired\":%" PRIu64 ",\"lost_events\":%" PRIu64 ",\"incomplete_receivers\":%" PRIu64
           ",\"per_receiver_min\":%" PRIu64 ",\"per_receiver_max\":%" PRIu64
           ",\"window_s\":%.4f,\"acks_s\":%.4f,\"deliveries_per_s\":%.0f,%s,%s,\"send_lag_max_us\":%.1f,\"coalesce_us\":%d,\"pace_granularity_us\":%d"
           ",\"retransmissions\":%" PRIu64 ",\"waiting\":%" PRIu64 ",\"nacks\":%" PRIu64 ",\"nacked_events\":%" PRIu64
           ",\"pings\":%" PRIu64 ",\"ticks\":%" PRIu64 ",\"datagrams\":%" PRIu64 ",\"datagrams_in_window\":%" PRIu64
           ",\"frames\":%" PRIu64 ",\"undecodable\":%" PRIu64 ",\"unproven_ignored\":%" PRIu64 ",\"foreign\":%" PRIu64 ",\"bad_payloads\":%" PRIu64
           ",\"too_far_ahead\":%" PRIu64 ",\"leaves_seen\":%" PRIu64 ",\"datagrams_sent\":%" PRIu64 ",\"says_sent\":%" PRIu64
           ",\"send_errors\":%" PRIu64 ",\"send_eagain\":%" PRIu64 ",\"recv_errors\":%" PRIu64
           ",\"drops_at_members\":%" PRIu64 ",\"drops_at_server\":%" PRIu64 ",\"rcvbuf_effective\":%d"
           ",\"join_s\":%.3f,\"settle_s\":%.3f,\"join_events\":%" PRIu64 ",\"login_retries\":%" PRIu64 ",\"relogins\":%" PRIu64
           ",\"epoch_changes\":%" PRIu64 ",\"quiet_reveals\":%" PRIu64 ",\"login_failed\":%" PRIu64
           ",\"cookie_renewals\":%" PRIu64 ",\"hurried\":%" PRIu64 ",\"repeat_acks\":%" PRIu64 ",\"table_misses\":%" PRIu64 ",\"refused\":%s"
           ",\"cpu_window_s\":%.3f,\"load_cpu_s\":%.3f,\"load_cpu_pct\":%.1f,\"load_cpu_total_s\":%.3f"
           ",\"server_cpu_s\":%s,\"server_cpu_pct\":%s,\"server_peak_rss_mb\":%s,\"server_rss_mb\":%s"
           ",\"epoll_calls\":%" PRIu64 ",\"epoll_ready\":%" PRIu64 ",\"recv_calls\":%" PRIu64 ",\"no_timestamp\":%" PRIu64 ",\"run_s\":%.3f,\"deadline_hit\":%s}\n",
           port, N, joined, S, B, R, count_mode ? "count" : "rate", made, c_acked, c_acked_noseq, c_gave_up,
           c_refused_says, expected, c_delivered, lost, expected ? 100.0 * (double)lost / (double)expected : 0.0, c_dups,
           c_dup_deliveries, c_own_echo, c_before_start, unrepaired, c_lost_events, incomplete, rx_min, rx_max,
           win, last_ack > first_send && first_send ? (double)(last_ack - first_send) / 1e9 : 0.0,
           win > 0 ? (double)c_delivered / win : 0.0, lat, lat2, (double)send_lag_max / 1000.0, coalesce_us, pace_gran_us,
           c_retrans, c_waiting, c_nacks, c_nacked_events, c_pings, c_ticks, c_datagrams, c_datagrams - dg0,
           c_frames, c_undecodable, c_unproven_ignored, c_foreign, c_bad_payload, c_too_far, c_leaves, c_dg_sent, c_says_sent,
           c_send_err, c_send_eagain, c_recv_err, do1 - do0, ds1 - ds0, rcvbuf_eff,
           last_welcome > first_knock ? (double)(last_welcome - first_knock) / 1e9 : 0.0, (double)settle_s_ns / 1e9,
           settled_events, c_login_retries, c_relogins, c_epoch_changes, c_quiet_reveals, c_login_failed,
           c_challenges_again, c_hurried, c_repeat_acks, c_table_miss, refused,
           cwin, gcpu, cwin > 0 ? 100 * gcpu / cwin : 0.0, self_cpu_s(), sbuf, spct, shwm, srss,
           c_epoll_calls, c_epoll_ready, c_recv_calls, c_no_ts, (double)(t_end - t_start) / 1e9, deadline_hit ? "true" : "false");
    fflush(stdout);
    for (int mi = 0; mi < N; mi++) close(Mb[mi].fd);
    return 0;
}
