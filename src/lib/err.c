/* src/lib/err.c — human descriptions of the operation error codes. */
#include "lib/err.h"

const char *ma_err_str(int err)
{
	switch (err) {
	case MA_OK: return "ok";
	case MA_ERR_NOMEM: return "out of memory";
	case MA_ERR_INVAL: return "invalid argument";
	case MA_ERR_IO: return "input/output error";
	case MA_ERR_TOOBIG: return "input too large";
	case MA_ERR_PARSE: return "cannot parse input";
	case MA_ERR_STATE: return "operation not allowed in this state";
	case MA_ERR_DNS: return "DNS resolver error";
	case MA_ERR_TIMEOUT: return "timed out";
	case MA_ERR_NOTFOUND: return "not found";
	case MA_ERR_UNSUPPORTED: return "not supported";
	}
	return "unknown error";
}
