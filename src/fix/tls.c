/* tls.c -- TLS on FIX connections (OpenSSL 3), on the gateway's epoll loop.
 *
 * With fix_gateway_options.tls_cert and .tls_key the listener speaks only TLS
 * (1.2 or 1.3): every connection gets an SSL object in the server's role and
 * the handshake runs inside the first reads, so a connection that does not
 * finish it is cut by the same logon deadline as one that sends no Logon.
 * conn_io_recv and conn_io_send are recv and send for both kinds of
 * connection: -1 with errno EAGAIN when the socket (or the handshake) must
 * wait, 0 when the peer closed, CONN_IO_TLS_ERROR when TLS failed
 * (conn_tls_error says why). A process with a TLS listener ignores SIGPIPE (core/sigpipe.h).
 *
 * What the loop must know: a read may need the socket writable (the
 * handshake's answer did not fit), then conn->tls_want_write asks epoll for
 * EPOLLOUT and the gateway reads again when it comes. A read returns at
 * most one TLS record (16 KiB) and the input buffer keeps more room than that
 * whenever it reads, so decrypted bytes should never wait inside OpenSSL
 * where epoll cannot see them; conn_readable_now guards it anyway (turn_end).
 */
#include "gw.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "core/log.h"
#include "core/sigpipe.h"

static void tls_reason(char *buf, size_t len, const char *what)
{
    unsigned long e = ERR_get_error();
    char detail[160] = "";
    if (e) ERR_error_string_n(e, detail, sizeof detail);
    ERR_clear_error();
    snprintf(buf, len, "%s%s%s", what, detail[0] ? ": " : "", detail);
}

int gw_tls_init(gw *g, const char *cert, const char *key, char *err, size_t errlen)
{
    if (!cert || !cert[0] || !key || !key[0]) {
        snprintf(err, errlen,
                 "fix: TLS needs both a certificate and a key (fix_tls_cert, fix_tls_key)");
        return -1;
    }
    sigpipe_ignore(); /* OpenSSL writes without MSG_NOSIGNAL, its close_notify too */
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        tls_reason(err, errlen, "fix: cannot create a TLS context");
        return -1;
    }
    char why[256];
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
        tls_reason(why, sizeof why, "cannot require TLS 1.2");
        goto fail;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        tls_reason(why, sizeof why, "cannot load the certificate");
        goto fail_file;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        unsigned long e = ERR_peek_last_error();
        tls_reason(why, sizeof why,
                   ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH
                       ? "the key does not match the certificate"
                       : "cannot load the key");
        goto fail_file;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        tls_reason(why, sizeof why, "the key does not match the certificate");
        goto fail_file;
    }
    /* our output buffer may move (compaction, growth) between retries */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    g->tls = ctx;
    return 0;
fail_file:
    snprintf(err, errlen, "fix: %s (certificate %s, key %s)", why, cert, key);
    SSL_CTX_free(ctx);
    return -1;
fail:
    snprintf(err, errlen, "fix: %s", why);
    SSL_CTX_free(ctx);
    return -1;
}

void gw_tls_free(gw *g)
{
    SSL_CTX_free(g->tls);
    g->tls = NULL;
}

bool conn_tls_start(gw *g, conn *c)
{
    if (!g->tls) return true;
    c->ssl = SSL_new(g->tls);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
        SSL_free(c->ssl);
        c->ssl = NULL;
        ERR_clear_error();
        return false;
    }
    SSL_set_accept_state(c->ssl);
    return true;
}

/* What an SSL call's failure means: EAGAIN (and which way to wait), the
 * peer's close, or an error named in c->tls_err. */
static ssize_t tls_fail(conn *c, int r, const char *what)
{
    int e = SSL_get_error(c->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        c->tls_want_write = false;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        c->tls_want_write = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: ERR_clear_error(); return 0;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) { /* the socket: closed without close_notify, or reset */
            if (errno == 0 || errno == EPIPE || errno == ECONNRESET) return 0;
            snprintf(c->tls_err, sizeof c->tls_err, "%s", strerror(errno));
            return CONN_IO_TLS_ERROR;
        }
        /* a library error with it */
        __attribute__((fallthrough));
    default: {
        char why[sizeof c->tls_err];
        tls_reason(why, sizeof why, SSL_is_init_finished(c->ssl) ? what : "TLS handshake failed");
        snprintf(c->tls_err, sizeof c->tls_err, "%s", why);
        return CONN_IO_TLS_ERROR;
    }
    }
}

ssize_t conn_io_recv(conn *c, void *buf, size_t n)
{
    if (!c->ssl) return recv(c->fd, buf, n, 0);
    if (n == 0) return -1;
    ERR_clear_error();
    errno = 0;
    int r = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0) {
        c->tls_want_write = false;
        if (!c->tls_logged) {
            c->tls_logged = true;
            log_debug("fix", "msg=\"tls established\" conn=%u version=%s cipher=%s", c->id,
                      log_q(SSL_get_version(c->ssl)), log_q(SSL_get_cipher_name(c->ssl)));
        }
        return r;
    }
    return tls_fail(c, r, "TLS read failed");
}

ssize_t conn_io_send(conn *c, const void *buf, size_t n)
{
    if (!c->ssl) return send(c->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (!SSL_is_init_finished(c->ssl)) { /* nothing goes out before the handshake */
        errno = EAGAIN;
        return -1;
    }
    ERR_clear_error();
    errno = 0;
    int r = SSL_write(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);
    if (r > 0) return r;
    ssize_t f = tls_fail(c, r, "TLS write failed");
    if (f == 0) { /* a write cannot "succeed" with nothing: the peer is gone */
        errno = EPIPE;
        return -1;
    }
    return f;
}

bool conn_tls_pending(const conn *c)
{
    return c->ssl && SSL_pending(c->ssl) > 0;
}

const char *conn_tls_error(const conn *c)
{
    return c->tls_err[0] ? c->tls_err : "TLS failed";
}

void conn_tls_close(conn *c)
{
    if (!c->ssl) return;
    if (SSL_is_init_finished(c->ssl))
        SSL_shutdown(c->ssl); /* one close_notify, best effort: the socket closes next */
    ERR_clear_error();
    SSL_free(c->ssl);
    c->ssl = NULL;
}
