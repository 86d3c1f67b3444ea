/* tls.c -- see tls.h. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int ossl_err(char *err, size_t errlen, const char *what)
{
    char e[256];
    ERR_error_string_n(ERR_get_error(), e, sizeof e);
    snprintf(err, errlen, "%s: %s", what, e);
    return -1;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex) return -1;
    int rc = X509_add_ext(x, ex, -1) == 1 ? 0 : -1;
    X509_EXTENSION_free(ex);
    return rc;
}

int tls_self_signed(const char *dir, char *cert, size_t certlen, char *key, size_t keylen,
                    char *err, size_t errlen)
{
    snprintf(cert, certlen, "%s/tls-self-signed.crt", dir);
    snprintf(key, keylen, "%s/tls-self-signed.key", dir);
    if (access(cert, R_OK) == 0 && access(key, R_OK) == 0) return 0;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = -1;
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *kf = NULL, *cf = NULL;
    if (!pk || !x) {
        ossl_err(err, errlen, "cannot make a key");
        goto out;
    }
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL));
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
    X509_set_pubkey(x, pk);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"cets demo", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    if (add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") != 0 ||
        add_ext(x, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        add_ext(x, NID_ext_key_usage, "serverAuth") != 0 || X509_sign(x, pk, EVP_sha256()) == 0) {
        ossl_err(err, errlen, "cannot sign the certificate");
        goto out;
    }
    int kfd = open(key, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    kf = kfd >= 0 ? fdopen(kfd, "w") : NULL;
    cf = fopen(cert, "w");
    if (!kf || !cf) {
        snprintf(err, errlen, "%s: %s", !kf ? key : cert, strerror(errno));
        if (kfd >= 0 && !kf) close(kfd);
        goto out;
    }
    if (PEM_write_PrivateKey(kf, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
        PEM_write_X509(cf, x) != 1) {
        ossl_err(err, errlen, "cannot write the key or the certificate");
        goto out;
    }
    rc = 0;
out:
    if (kf && fclose(kf) != 0 && rc == 0)
        rc = -1, snprintf(err, errlen, "%s: %s", key, strerror(errno));
    if (cf && fclose(cf) != 0 && rc == 0)
        rc = -1, snprintf(err, errlen, "%s: %s", cert, strerror(errno));
    if (rc != 0) {
        unlink(key);
        unlink(cert);
    }
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}
