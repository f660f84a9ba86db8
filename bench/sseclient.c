/* Many SSE readers in one process: epoll over raw non-blocking sockets.
 *
 * Built by bench/fanout.py (gcc -O2). It opens N streams to one URL, at most
 * MAX_INFLIGHT set-ups at a time, then reads every stream. Each event carries a
 * stamp "bsZ<seq>Z<send-time ns>Z" in its data (CLOCK_MONOTONIC, the clock the
 * bench takes before it POSTs); the first stamp in each SSE frame counts.
 *
 * A 502 or 503 answer is retried, up to MAX_RETRIES times per stream, as the story
 * page's client does (static/live.js): a proxy in front may refuse a set-up when its
 * queue to the origin is momentarily full.
 *
 * stdout, one line each:  READY <ok> <failed> <ms> <retried>   when every stream is set up
 *                         ALL <ms>                   when every stream has every seq
 *                                                    (-1: the time limit came first)
 *                         DONE <ok> <frames> <missing> <duplicate> <closed> <bytes>
 * A line on stdin (or EOF, or the time limit) ends the run; the latencies go to
 * OUTFILE as int32 pairs (seq, microseconds from send to arrival).
 *
 * With a PAGE path as the last argument each reader first GETs that page (asking for
 * it compressed, as a browser does), reads the whole answer, then opens the stream on
 * the same connection: a reader arriving at the story (bench/pages.py --arrival).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif
#define MAX_INFLIGHT 256
#define MAX_RETRIES 5

enum { CONNECTING, PAGE, HEADERS, BODY, DEAD };
enum { CH_SIZE, CH_DATA, CH_CRLF };

typedef struct {
    int fd, state, chunked, ch_state, ok, retries;
    long ch_left;
    char *buf;            /* headers, then the unfinished SSE frame */
    size_t len, cap;
    uint64_t seen;        /* bit s set once seq s has arrived */
    long dups, frames, bytes;
} Conn;

static Conn *conns;
static int n, expected, inflight, next_conn, ready, failed, closed_early, all_reported, complete, retried;
static int *again, nagain; /* streams to set up once more (a 502 or 503) */
static int32_t *records;
static size_t nrec, caprec;
static char request[1024], page_request[1024];
static size_t request_len, page_request_len;
static struct sockaddr_in dst;
static int src_first, src_count, epfd;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void append(Conn *c, const char *p, size_t k) {
    if (c->len + k + 1 > c->cap) {
        c->cap = (c->len + k + 1) * 2;
        c->buf = realloc(c->buf, c->cap);
    }
    memcpy(c->buf + c->len, p, k);
    c->len += k;
}

static void record(int seq, int64_t stamp, int64_t arrived) {
    if (!stamp) return; /* replayed warm-up events carry no stamp */
    if (nrec + 2 > caprec) {
        caprec = caprec ? caprec * 2 : 1 << 20;
        records = realloc(records, caprec * sizeof *records);
    }
    records[nrec++] = seq;
    records[nrec++] = (int32_t)((arrived - stamp) / 1000);
}

static void finish_conn(Conn *c, int failed_setup) {
    if (c->state == DEAD) return;
    if (c->state != BODY) {
        inflight--;
        if (failed_setup) failed++;
    } else {
        closed_early++;
    }
    c->state = DEAD;
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
}

/* Complete SSE frames in c->buf (carriage returns already dropped). */
static void frames(Conn *c, int64_t arrived) {
    char *start = c->buf, *end = c->buf + c->len, *blank;
    c->buf[c->len] = 0;
    while ((blank = memmem(start, end - start, "\n\n", 2))) {
        char *mark = memmem(start, blank - start, "bsZ", 3);
        if (mark) {
            char *p = mark + 3;
            int seq = (int)strtol(p, &p, 10);
            int64_t stamp = *p == 'Z' ? strtoll(p + 1, NULL, 10) : 0;
            c->frames++;
            if (seq >= 0 && seq < 64) {
                if (c->seen >> seq & 1) c->dups++;
                else if (__builtin_popcountll(c->seen |= 1ULL << seq) == expected) complete++;
                record(seq, stamp, arrived);
            }
        }
        start = blank + 2;
    }
    c->len = end - start;
    memmove(c->buf, start, c->len);
}

static void body(Conn *c, const char *p, size_t k) {
    /* SSE text without '\r', so a frame ends at "\n\n" whatever line ending the server uses */
    const char *q = p, *e = p + k;
    while (q < e) {
        const char *cr = memchr(q, '\r', e - q);
        if (!cr) { append(c, q, e - q); break; }
        append(c, q, cr - q);
        q = cr + 1;
    }
}

static void dechunk(Conn *c, const char *p, size_t k) {
    const char *e = p + k;
    while (p < e) {
        if (c->ch_state == CH_SIZE) {
            /* hex size then CRLF; extensions are not used by these servers */
            while (p < e && *p != '\n') {
                char ch = *p++;
                if (ch >= '0' && ch <= '9') c->ch_left = c->ch_left * 16 + ch - '0';
                else if ((ch | 32) >= 'a' && (ch | 32) <= 'f') c->ch_left = c->ch_left * 16 + (ch | 32) - 'a' + 10;
            }
            if (p < e) { p++; c->ch_state = c->ch_left ? CH_DATA : CH_CRLF; }
        } else if (c->ch_state == CH_DATA) {
            size_t take = (size_t)(e - p) < (size_t)c->ch_left ? (size_t)(e - p) : (size_t)c->ch_left;
            body(c, p, take);
            p += take;
            c->ch_left -= take;
            if (!c->ch_left) c->ch_state = CH_CRLF;
        } else {
            if (*p++ == '\n') { c->ch_state = CH_SIZE; c->ch_left = 0; }
        }
    }
}

static void start_next(void) {
    while (inflight < MAX_INFLIGHT && (nagain || next_conn < n)) {
        int i = nagain ? again[--nagain] : next_conn++;
        Conn *c = &conns[i];
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (c->fd < 0) { perror("socket"); c->state = DEAD; failed++; continue; }
        int one = 1;
        setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000000 | (src_first + i % src_count));
        if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) perror("bind");
        inflight++;
        c->state = CONNECTING;
        if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) < 0 && errno != EINPROGRESS) {
            perror("connect");
            finish_conn(c, 1);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = i};
        epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
    }
}

/* The page's whole answer has arrived: now ask for the stream on the same connection. */
static void page(Conn *c) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return;
    c->buf[c->len] = 0;
    int status = 0;
    sscanf(c->buf, "HTTP/1.%*d %d", &status);
    char *length = strcasestr(c->buf, "content-length:");
    if (status != 200 || !length || length > end) {
        fprintf(stderr, "page status %d\n", status);
        finish_conn(c, 1);
        return;
    }
    size_t want = (size_t)atol(length + 15), have = c->len - (end + 4 - c->buf);
    if (have < want) return;
    c->len = 0;
    if (write(c->fd, request, request_len) != (ssize_t)request_len) { finish_conn(c, 1); return; }
    c->state = HEADERS;
}

static void headers(Conn *c) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return;
    c->buf[c->len] = 0;
    int status = 0;
    sscanf(c->buf, "HTTP/1.%*d %d", &status);
    *end = 0;
    c->chunked = strcasestr(c->buf, "transfer-encoding: chunked") != NULL;
    size_t rest = c->len - (end + 4 - c->buf);
    char *tail = malloc(rest + 1);
    memcpy(tail, end + 4, rest);
    c->len = 0;
    if ((status == 502 || status == 503) && c->retries < MAX_RETRIES) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        inflight--;
        c->retries++;
        retried++;
        again[nagain++] = (int)(c - conns);
        free(tail);
        return;
    }
    if (status != 200) {
        fprintf(stderr, "status %d\n", status);
        finish_conn(c, 1);
        free(tail);
        return;
    }
    c->state = BODY;
    c->ok = 1;
    inflight--;
    ready++;
    if (c->chunked) dechunk(c, tail, rest); else body(c, tail, rest);
    free(tail);
}

int main(int argc, char **argv) {
    if (argc < 12) {
        fprintf(stderr, "usage: %s HOST PORT PATH N SRC_FIRST SRC_COUNT EXPECTED TIMEOUT_S OUTFILE LAST_EVENT_ID|- HOSTHDR [PAGE]\n", argv[0]);
        return 2;
    }
    n = atoi(argv[4]);
    src_first = atoi(argv[5]);
    src_count = atoi(argv[6]);
    expected = atoi(argv[7]);
    double timeout = atof(argv[8]);
    const char *outfile = argv[9];
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    dst.sin_family = AF_INET;
    dst.sin_port = htons(atoi(argv[2]));
    inet_pton(AF_INET, argv[1], &dst.sin_addr);
    request_len = snprintf(request, sizeof request,
                           "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n%s%s%s", argv[3], argv[11],
                           strcmp(argv[10], "-") ? "Last-Event-ID: " : "", strcmp(argv[10], "-") ? argv[10] : "",
                           strcmp(argv[10], "-") ? "\r\n\r\n" : "\r\n");

    if (argc > 12)
        page_request_len = snprintf(page_request, sizeof page_request,
                                    "GET %s HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n",
                                    argv[12], argv[11]);

    conns = calloc(n, sizeof *conns);
    again = calloc(n, sizeof *again);
    epfd = epoll_create1(0);
    struct epoll_event in = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &in);

    int64_t t0 = now_ns(), deadline = t0 + (int64_t)(timeout * 1e9);
    int ready_reported = 0, stop = 0;
    static char rbuf[65536];
    struct epoll_event evs[1024];
    start_next();
    while (!stop && now_ns() < deadline) {
        int k = epoll_wait(epfd, evs, 1024, 100);
        for (int j = 0; j < k; j++) {
            if (evs[j].data.u32 == UINT32_MAX) { stop = 1; continue; }
            Conn *c = &conns[evs[j].data.u32];
            if (c->state == DEAD) continue;
            if (c->state == CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                const char *first = page_request_len ? page_request : request;
                size_t first_len = page_request_len ? page_request_len : request_len;
                if (err || write(c->fd, first, first_len) != (ssize_t)first_len) {
                    fprintf(stderr, "connect: %s\n", strerror(err ? err : errno));
                    finish_conn(c, 1);
                    continue;
                }
                c->state = page_request_len ? PAGE : HEADERS;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[j].data.u32};
                epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
                continue;
            }
            ssize_t got = read(c->fd, rbuf, sizeof rbuf);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) continue;
                finish_conn(c, 1);
                continue;
            }
            c->bytes += got;
            if (c->state == PAGE) {
                append(c, rbuf, got);
                page(c);
            } else if (c->state == HEADERS) {
                append(c, rbuf, got);
                headers(c);
            } else if (c->chunked) {
                dechunk(c, rbuf, got);
            } else {
                body(c, rbuf, got);
            }
            if (c->state == BODY && c->len) frames(c, now_ns());
        }
        start_next();
        if (!ready_reported && next_conn == n && !nagain && inflight == 0) {
            ready_reported = 1;
            printf("READY %d %d %.1f %d\n", ready, failed, (now_ns() - t0) / 1e6, retried);
            fflush(stdout);
        }
        if (ready_reported && !all_reported && expected > 0) {
            if (complete == ready) {
                all_reported = 1;
                printf("ALL %.1f\n", (now_ns() - t0) / 1e6);
                fflush(stdout);
            }
        }
    }
    /* out of time: say so in the order the bench reads, so it is not left waiting */
    if (!ready_reported) printf("READY %d %d -1 %d\n", ready, failed + (n - next_conn) + nagain + inflight, retried);
    if (!all_reported) printf("ALL -1\n");
    long frames_total = 0, missing = 0, dups = 0, bytes = 0;
    for (int i = 0; i < n; i++) {
        Conn *c = &conns[i];
        if (!c->ok) continue;
        frames_total += c->frames;
        dups += c->dups;
        bytes += c->bytes;
        missing += expected - __builtin_popcountll(c->seen);
    }
    FILE *f = fopen(outfile, "wb");
    if (f) { fwrite(records, sizeof *records, nrec, f); fclose(f); }
    printf("DONE %d %ld %ld %ld %d %ld\n", ready, frames_total, missing, dups, closed_early, bytes);
    fflush(stdout);
    return 0;
}
