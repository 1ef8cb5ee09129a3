/* src/lib/err.h — the project-wide operation error codes (STYLE: 0 = ok, negative = error).
 *
 * Operation errors say that *our call* failed (out of memory, bad usage, I/O). They are never used for what is
 * wrong with a record or a domain: that is a finding (finding.h). */
#ifndef MA_ERR_H
#define MA_ERR_H

enum ma_err {
	MA_OK = 0,
	MA_ERR_NOMEM = -1,    /* allocation failed */
	MA_ERR_INVAL = -2,    /* invalid argument or usage (a bug in the caller or bad user input) */
	MA_ERR_IO = -3,       /* file or socket I/O failed */
	MA_ERR_TOOBIG = -4,   /* input over a size cap */
	MA_ERR_PARSE = -5,    /* input could not be parsed at all */
	MA_ERR_STATE = -6,    /* call not allowed in the object's current state */
	MA_ERR_DNS = -7,      /* the resolver could not be set up or queried */
	MA_ERR_TIMEOUT = -8,  /* an operation ran out of time */
	MA_ERR_NOTFOUND = -9, /* a named thing does not exist */
	MA_ERR_UNSUPPORTED = -10,
};

/* A short, static, human description of an error code. Never NULL. */
const char *ma_err_str(int err);

#endif
