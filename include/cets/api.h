/* api.h -- CETS_API marks what the cets libraries export.
 *
 * The engine is built with hidden visibility (-fvisibility=hidden): only the
 * declarations of include/cets/ marked CETS_API are exported from
 * libcets.so, so an embedder sees cets_* and nothing of the engine's
 * internals (book_*, orders_*, ...), whose names could clash with its own.
 * The installed libcets.a has the same symbols (docs/engine.md).
 */
#ifndef CETS_API_H
#define CETS_API_H

#if defined(__GNUC__) || defined(__clang__)
#define CETS_API __attribute__((visibility("default")))
#else
#define CETS_API
#endif

#endif
