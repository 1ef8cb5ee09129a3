/* src/lib/record_gen_findings.c — the record generator's finding definitions (stable IDs, docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_record_gen_findings[] = {
    {"record.spf.long", MA_SEV_WARNING, "The generated SPF record is over 450 bytes",
     "Keep SPF records under 450 bytes (UK government email security standard) so the answer fits one UDP packet "
     "(RFC 7208 3.4): merge ip4/ip6 ranges into wider prefixes or move senders into an include"},
    {"record.spf.lookups-over-limit", MA_SEV_ERROR, "The generated SPF record has more than 10 DNS-querying terms",
     "RFC 7208 4.6.4: more than 10 include, a, mx, ptr, exists and redirect terms make every check a permerror; "
     "replace a and mx with ip4/ip6 ranges or drop unused includes (the UK standard advises at most 6)"},
    {"record.spf.all-pass", MA_SEV_ERROR, "The generated SPF record ends in +all",
     "+all lets every host on the Internet pass SPF for the domain (RFC 7208 5.1); end the record in -all or ~all "
     "(UK government email security standard)"},
    {"record.dmarc.testing-both", MA_SEV_INFO, "Testing mode was written for both DMARC generations",
     "RFC 9989 Appendix A.6: t=y replaces pct=0, and RFC 7489 receivers only know pct; both tags are written so "
     "each generation of receiver sees the rollout as testing. Remove both (pct=100 is the default) to enforce"},
    {"record.txt.split", MA_SEV_INFO, "The TXT data is over 255 bytes and was split into several strings",
     "RFC 1035 3.3.14: one character-string holds at most 255 bytes; receivers join them without spaces (RFC 7208 "
     "3.3, RFC 7489 6.6.3). Enter every quoted string into the same TXT record, not one record each"},
    {NULL, MA_SEV_OK, NULL, NULL},
};
