/* src/ingest/ingest_impl.h — what the ingest_*.c files share. */
#ifndef MA_INGEST_IMPL_H
#define MA_INGEST_IMPL_H

#include <stddef.h>

enum ma_payload { MA_PAYLOAD_OTHER, MA_PAYLOAD_GZIP, MA_PAYLOAD_ZIP, MA_PAYLOAD_XML, MA_PAYLOAD_JSON };

enum ma_payload ma_ingest_sniff(const void *buf, size_t len);

#endif
