/* tls.h -- a self-signed certificate for a local demo over https
 * (cetsd --tls-self-signed), made with OpenSSL's API. */
#ifndef CETS_SERVER_TLS_H
#define CETS_SERVER_TLS_H

#include <stddef.h>

/* In dir: tls-self-signed.key (mode 0600) and tls-self-signed.crt, a P-256
 * key and a certificate for CN=localhost with the names localhost and
 * 127.0.0.1, valid for 365 days. Files already there are kept. Their paths
 * into cert and key; 0, or -1 with err. */
int tls_self_signed(const char *dir, char *cert, size_t certlen, char *key, size_t keylen,
                    char *err, size_t errlen);

#endif
