/* conn.c -- FIX connections: accepting, reading and framing, buffered
 * writing, closing. Non-blocking sockets on the gateway's epoll loop.
 *
 * Input is read into a fixed buffer of two maximum messages and framed with
 * fix_parse(); every whole message goes to the session layer at once, unless
 * the connection is waiting (its password is being checked, or its session
 * has too many commands in flight), in which case the bytes wait in the
 * buffer and epoll stops watching for more: a fast sender is slowed down by
 * TCP, not by our memory. Output is appended to a growing buffer, sent at
 * the end of the loop's turn (after the session stores are written), and
 * bounded: a peer that does not read is disconnected.
 *
 * A connection is never freed while the turn that killed it may still touch
 * it: gw_conn_kill() marks it dead and detaches its session; turn_end()
 * frees it once what it had to send (a Logout) is out -- and, after a
 * Logout we answered (gw_conn_linger), once the peer has closed its side,
 * as the FIX session test cases ask, or logout_timeout_ms has passed.
 */
#include "gw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

#define IN_CAP (2 * FIX_MAX_MSG)

void conn_watch(gw *g, conn *c)
{
    uint32_t want = 0;
    if (c->state == CS_LOGON_WAIT || c->state == CS_ACTIVE)
        if (!c->paused && c->inlen < IN_CAP) want |= EPOLLIN;
    if (c->outlen > c->outoff || c->tls_want_write) want |= EPOLLOUT;
    if (c->state == CS_DEAD && !c->flush_first) want = 0;
    if (c->state == CS_DEAD && c->linger && !c->peer_closed)
        want |= EPOLLIN; /* to see the peer close */
    if (want == c->epoll_mask) return;
    struct epoll_event ev = {.events = want, .data.ptr = c};
    epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->epoll_mask = want;
}

void gw_conn_write(conn *c, const char *p, size_t n)
{
    if (c->state == CS_DEAD && !c->flush_first) return;
    if (c->outoff && c->outoff == c->outlen) c->outoff = c->outlen = 0;
    if (c->outlen + n > c->outcap) {
        if (c->outoff) { /* compact before growing */
            memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
            c->outlen -= c->outoff;
            c->outoff = 0;
        }
        size_t cap = c->outcap ? c->outcap : 65536;
        while (cap < c->outlen + n) cap *= 2;
        if (c->outlen + n > c->g->o.max_out_bytes) {
            gw_conn_kill(c, "slow consumer: too much unsent output", false);
            return;
        }
        char *np = cap > c->outcap ? realloc(c->out, cap) : c->out;
        if (!np) {
            gw_conn_kill(c, "out of memory", false);
            return;
        }
        c->out = np;
        c->outcap = cap;
    }
    memcpy(c->out + c->outlen, p, n);
    c->outlen += n;
}

void gw_conn_kill(conn *c, const char *why, bool flush_first)
{
    if (c->state == CS_DEAD) return;
    log_info("fix", "msg=\"disconnect\" conn=%u peer=%s compid=%s why=%s", c->id, log_q(c->peer),
             log_q(c->s ? c->s->comp : "-"), log_q(why));
    sess *s = c->s;
    c->state = CS_DEAD;
    c->flush_first = flush_first;
    c->t_dead = c->g->mono;
    c->s = NULL;
    if (s) {
        s->c = NULL;
        sess_offline(c->g, s);
    }
}

void gw_conn_linger(conn *c, const char *why)
{
    c->linger = true;
    gw_conn_kill(c, why, true);
}

void conn_free(gw *g, int i)
{
    conn *c = g->conns[i];
    epoll_ctl(g->ep, EPOLL_CTL_DEL, c->fd, NULL);
    conn_tls_close(c);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
    g->conns[i] = g->conns[--g->nconns];
}

/* Which limit a new connection from ip is past: 0 none, 1 connections in
 * all, 2 not logged on in all, 3 not logged on from ip. A connection that has
 * logged on no longer counts as pending, so max_connections - max_pending
 * slots are always there for provisioned sessions, and one address cannot
 * take all the pending ones. */
static int over_limit(const gw *g, uint32_t ip)
{
    if (g->nconns >= g->o.max_connections) return 1;
    int pending = 0, from_ip = 0;
    for (int i = 0; i < g->nconns; i++) {
        const conn *c = g->conns[i];
        if (c->state == CS_LOGON_WAIT || c->state == CS_AUTH) {
            pending++;
            from_ip += c->ip == ip;
        }
    }
    return pending >= g->o.max_pending ? 2 : from_ip >= g->o.max_pending_per_addr ? 3 : 0;
}

void conn_refusals_log(gw *g)
{
    if (!g->refused[0] && !g->refused[1] && !g->refused[2]) return;
    log_warn("fix",
             "msg=\"connections refused: limits reached\" max_connections=%llu "
             "max_pending=%llu max_pending_per_addr=%llu",
             (unsigned long long)g->refused[0], (unsigned long long)g->refused[1],
             (unsigned long long)g->refused[2]);
    memset(g->refused, 0, sizeof g->refused);
}

void conn_accept(gw *g)
{
    for (;;) {
        struct sockaddr_in a;
        socklen_t alen = sizeof a;
        int fd = accept4(g->lfd, (struct sockaddr *)&a, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        int over = g->stopping ? 1 : over_limit(g, a.sin_addr.s_addr);
        if (over) { /* refused by closing: it is no session, nothing to answer */
            g->refused[over - 1]++;
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn *c = calloc(1, sizeof *c);
        char *in = malloc(IN_CAP);
        if (!c || !in) {
            free(c);
            free(in);
            close(fd);
            continue;
        }
        c->g = g;
        c->fd = fd;
        c->in = in;
        c->id = ++g->next_conn_id;
        c->ip = a.sin_addr.s_addr;
        c->t_open = g->mono;
        if (!conn_tls_start(g, c)) {
            free(c->in);
            free(c);
            close(fd);
            continue;
        }
        char ip[INET_ADDRSTRLEN] = "?";
        inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "%s:%d", ip, ntohs(a.sin_port));
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        c->epoll_mask = EPOLLIN;
        if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            conn_tls_close(c);
            free(c->in);
            free(c);
            close(fd);
            continue;
        }
        g->conns[g->nconns++] = c;
        log_debug("fix", "msg=\"connection\" conn=%u peer=%s", c->id, log_q(c->peer));
    }
}

/* Handle every whole message in the input buffer, unless the connection
 * waits (password check, too much in flight) or died. */
void conn_parse(gw *g, conn *c)
{
    size_t off = 0;
    while (off < c->inlen && (c->state == CS_LOGON_WAIT || c->state == CS_ACTIVE) && !c->paused) {
        size_t used = 0;
        fix_status st = fix_parse(c->in + off, c->inlen - off, &g->imsg, &used);
        if (st == FIX_NEED_MORE) break;
        off += used ? used : 1;
        if (st == FIX_OK)
            sess_on_message(g, c, &g->imsg);
        else if (st == FIX_BAD_BEGIN || c->state == CS_LOGON_WAIT)
            sess_on_bad_frame(g, c, st);
        else if (st != FIX_GARBAGE) /* garbled: ignored, no sequence number consumed */
            log_warn("fix", "msg=\"garbled message ignored\" conn=%u compid=%s error=%s bytes=%zu",
                     c->id, log_q(c->s ? c->s->comp : "-"), log_q(fix_status_name(st)), used);
    }
    if (off) {
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
    }
}

void conn_read(gw *g, conn *c)
{
    if (c->state == CS_DEAD && c->linger) { /* only waiting for the peer to close */
        char sink[4096];
        ssize_t r = conn_io_recv(c, sink, sizeof sink);
        if (r == 0 || r == CONN_IO_TLS_ERROR ||
            (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            c->peer_closed = true;
        return;
    }
    /* TLS: the handshake goes on inside the reads, and what OpenSSL decrypted
     * may exceed the room left: read while there is room and bytes wait */
    do {
        if (c->state != CS_LOGON_WAIT && c->state != CS_ACTIVE) return;
        ssize_t r = conn_io_recv(c, c->in + c->inlen, IN_CAP - c->inlen);
        if (r == 0) {
            gw_conn_kill(c, "closed by peer", false);
            return;
        }
        if (r == CONN_IO_TLS_ERROR) {
            gw_conn_kill(c, conn_tls_error(c), false);
            return;
        }
        if (r < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                gw_conn_kill(c, strerror(errno), false);
            return;
        }
        c->inlen += (size_t)r;
        if (c->s) c->s->last_recv = g->mono;
        conn_parse(g, c);
    } while (conn_readable_now(c));
}

bool conn_readable_now(const conn *c)
{
    return (c->state == CS_LOGON_WAIT || c->state == CS_ACTIVE) && !c->paused &&
           c->inlen < IN_CAP && conn_tls_pending(c);
}

void conn_send(conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t w = conn_io_send(c, c->out + c->outoff, c->outlen - c->outoff);
        if (w < 0) {
            if (w != CONN_IO_TLS_ERROR && errno == EINTR) continue;
            if (w == CONN_IO_TLS_ERROR || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                c->flush_first = false;
                gw_conn_kill(c, w == CONN_IO_TLS_ERROR ? conn_tls_error(c) : strerror(errno),
                             false);
                c->outoff = c->outlen;
            }
            return;
        }
        c->outoff += (size_t)w;
        if (c->s) c->s->last_send = c->g->mono;
    }
    c->outoff = c->outlen = 0;
}
