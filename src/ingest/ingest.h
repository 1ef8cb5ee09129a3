/* src/ingest/ingest.h — getting reports in: files, directories, mbox, Maildir, one message on stdin, IMAP.
 *
 * A SOURCE is read message by message; each message is taken apart with GMime (report as body or attachment, any
 * part, nested message/rfc822, several reports per message), each candidate payload decompressed with libarchive
 * (gzip, zip with several entries, gzip-in-gzip; magic bytes sniffed, names ignored; decompressed-size and ratio
 * capped) and handed to the lib/ parsers. What is found goes to a sink the caller provides (src/cli puts it into
 * the store: ingest does not link the store, STYLE.md arrows). Bad reports are reported to the sink with a reason;
 * nothing else in the source is lost.
 *
 * Commit protocol: the sink's callbacks for one message all run before on_message_end; a mailbox channel moves a
 * Maildir message to cur/, or flags an IMAP message \Seen, only after on_message_end returned MA_OK. */
#ifndef MA_INGEST_H
#define MA_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/report_agg.h"
#include "lib/report_failure.h"
#include "lib/report_tls.h"

/* Caps (bombs, hostile mailboxes). */
#define MA_INGEST_DECOMPRESSED_MAX (1024ull << 20) /* bytes out of one compressed payload */
#define MA_INGEST_RATIO_MAX 1000u                  /* decompressed / compressed, checked as data flows */
#define MA_INGEST_NESTING_MAX 4                    /* archive-in-archive, message-in-message */
#define MA_INGEST_MESSAGE_MAX (256u << 20)         /* one message */
#define MA_INGEST_ENTRIES_MAX 1000                 /* entries in one zip */

enum ma_ingest_kind { MA_INGEST_AGGREGATE, MA_INGEST_FAILURE, MA_INGEST_TLS };

/* Where the current payload came from; borrowed for the callback. */
struct ma_ingest_where {
	const char *source;  /* the SOURCE as given */
	const char *message; /* message identity inside the source ("3", "cur/1700.M1P2.host", "UID 42"), or NULL */
	const char *part;    /* MIME part path and archive entry ("2/1 report.xml.gz > report.xml"), or NULL */
	const void *raw;     /* the payload as received (compressed form), for audit; may be NULL */
	size_t rawlen;
	int64_t received;    /* Date: of the message, or the file's mtime; -1 unknown */
};

/* The sink. Every callback returns MA_OK or an ma_err; an error from agg_* aborts that report (reported through
 * on_error), an error from on_message_end leaves the message unacknowledged (it is read again next run). */
struct ma_ingest_sink {
	/* Aggregate reports stream: begin (dedup decided here: *skip true to ignore the records), records, end. */
	int (*agg_begin)(void *arg, const struct ma_ingest_where *w, const struct ma_agg_meta *meta,
	                 const struct ma_findings *quirks, bool *skip);
	int (*agg_record)(void *arg, const struct ma_agg_record *rec);
	/* ok false: the report failed after begin (truncated, over a cap): roll back. */
	int (*agg_end)(void *arg, bool ok, uint64_t records, uint64_t messages);
	int (*failure)(void *arg, const struct ma_ingest_where *w, const struct ma_failure_report *r);
	int (*tls)(void *arg, const struct ma_ingest_where *w, const struct ma_tls_report *r);
	/* A payload, message or source that could not be read, with why. */
	int (*on_error)(void *arg, const struct ma_ingest_where *w, const char *reason);
	/* Mailbox channels: `key` identifies the message durably (ma_store_message_done). seen: set true to skip a
	 * message already committed in an earlier run. May be NULL. */
	int (*on_message_begin)(void *arg, const char *key, bool *seen);
	int (*on_message_end)(void *arg, const char *key);
};

struct ma_ingest_opts {
	const struct ma_ingest_sink *sink;
	void *arg;
	const uint8_t *hash_key; /* failure reports: hash local parts with this key (NULL: keep them) */
	size_t hash_key_len;
	const char *imap_password_file; /* IMAP: password from this file, else $MAILASSURE_IMAP_PASSWORD */
	bool imap_insecure;             /* IMAP: skip certificate verification (tests with a private CA use ca_file) */
	const char *ca_file;            /* IMAP/HTTPS: trust this CA bundle instead of the system's */
};

/* Counters for one SOURCE. */
struct ma_ingest_stats {
	uint64_t messages, reports, duplicates, errors;
};

/* Read one SOURCE (file, directory, "mbox:PATH", "maildir:PATH", "-" for stdin, "imap://", "imaps://").
 * Returns MA_OK when the source could be read (bad reports inside are sink errors, counted in stats->errors),
 * MA_ERR_IO/MA_ERR_NOTFOUND when the source itself could not be opened, MA_ERR_TIMEOUT/MA_ERR_IO for a temporary
 * failure (an MTA pipe maps these to EX_TEMPFAIL so the MTA retries), MA_ERR_INVAL for a malformed SOURCE. */
int ma_ingest_source(const char *source, const struct ma_ingest_opts *opts, struct ma_ingest_stats *stats);

/* Read one payload already in memory (a file's bytes, a message): sniffs message / gzip / zip / XML / JSON. */
int ma_ingest_buffer(const void *buf, size_t len, const struct ma_ingest_where *w, const struct ma_ingest_opts *opts,
                     struct ma_ingest_stats *stats);

#endif
