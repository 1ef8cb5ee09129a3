/* src/lib/spf_findings.c — finding definitions of the spf module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_spf_findings[] = {
	/* The record as text (spf_parse.c, spf_lint.c). */
	{"spf.record.syntax", MA_SEV_ERROR, "The SPF record has a syntax error, so every check of it is a permerror",
	 "Any syntax error anywhere makes check_host() return permerror before a single term is evaluated "
	 "(RFC 7208 4.6); fix the term named in the detail against the grammar of RFC 7208 12."},
	{"spf.record.not-spf", MA_SEV_ERROR, "The text does not start with v=spf1, so it is not an SPF record",
	 "An SPF record starts with exactly 'v=spf1' followed by a space or its end (RFC 7208 4.5)."},
	{"spf.record.too-long", MA_SEV_ERROR, "The SPF record is implausibly long and was not parsed",
	 "Keep the record well under 512 bytes so the answer fits a UDP response (RFC 7208 3.4)."},
	{"spf.record.long", MA_SEV_WARNING, "The SPF record is longer than 450 bytes",
	 "The UK government standard asks for SPF records under 450 bytes so answers fit in one UDP packet "
	 "(RFC 7208 3.4); move ranges into an include."},
	{"spf.record.too-many-terms", MA_SEV_ERROR, "The SPF record has too many terms to parse",
	 "A record needs a handful of terms; use include: for providers' ranges (RFC 7208 5.2)."},
	{"spf.all.missing", MA_SEV_WARNING, "The record has neither an all mechanism nor a redirect, so unlisted "
	 "senders get neutral",
	 "End the record with '-all' (or '~all' while testing): without it the result is neutral (RFC 7208 4.7); "
	 "the UK government standard requires -all or ~all."},
	{"spf.all.pass", MA_SEV_ERROR, "The record ends with +all, which authorises every host on the Internet",
	 "Replace '+all' (or a bare 'all') with '-all' (RFC 7208 5.1 warns against it; UK government standard)."},
	{"spf.all.neutral", MA_SEV_WARNING, "The record ends with ?all, which asserts nothing about other senders",
	 "Use '-all' or '~all' so receivers can act on unlisted senders (RFC 7208 8.2; UK government standard)."},
	{"spf.all.ok", MA_SEV_OK, "The record ends with -all or ~all",
	 "'-all' tells receivers to reject unlisted senders, '~all' to treat them with suspicion (RFC 7208 8.4, 8.5; "
	 "UK government standard)."},
	{"spf.redirect.ignored", MA_SEV_WARNING, "The redirect modifier is ignored because the record has an all "
	 "mechanism",
	 "redirect= only applies when no mechanism matches, which never happens with 'all' present (RFC 7208 6.1); "
	 "remove one of them."},
	{"spf.terms.after-all", MA_SEV_WARNING, "Mechanisms after 'all' are never evaluated",
	 "Evaluation stops at the first match and 'all' always matches (RFC 7208 4.6.2, 5.1); move 'all' to the end."},
	{"spf.ptr.used", MA_SEV_WARNING, "The record uses the ptr mechanism",
	 "ptr is slow, unreliable and SHOULD NOT be published (RFC 7208 5.5); the UK government standard forbids it. "
	 "List the addresses with ip4:/ip6: or a: instead."},
	{"spf.lookups.over-limit", MA_SEV_ERROR, "More than 10 DNS-querying terms: receivers return permerror",
	 "include, a, mx, ptr, exists and redirect each count, across all includes (RFC 7208 4.6.4); flatten "
	 "rarely-changing includes to ip4:/ip6: ranges."},
	{"spf.lookups.high", MA_SEV_WARNING, "More than 6 DNS-querying terms: close to the limit of 10",
	 "The UK government standard advises at most 6 so a provider's change does not push the record over "
	 "RFC 7208 4.6.4's limit of 10."},
	{"spf.modifier.unknown", MA_SEV_INFO, "The record has a modifier SPF does not define; receivers ignore it",
	 "Unknown modifiers MUST be ignored (RFC 7208 6); check for a typing error (redirect=, exp=)."},
	{"spf.ip.host-bits", MA_SEV_INFO, "An ip4/ip6 network has bits set beyond its prefix length",
	 "Receivers compare only the prefix (RFC 7208 5.6), so the extra bits are ignored; write the network "
	 "address to show what is meant."},
	{"spf.ip.broad", MA_SEV_WARNING, "An ip4/ip6 mechanism authorises a huge address range",
	 "A prefix shorter than /8 (IPv4) or /16 (IPv6) authorises hosts you do not run (RFC 7208 5.6, 10.1)."},
	{"spf.exp.used", MA_SEV_INFO, "The record has an exp= explanation",
	 "Receivers may show the explanation to the sender on fail (RFC 7208 6.2); it costs an extra DNS query."},

	/* A domain's policy, walked through DNS (spf_tree.c) and evaluation outcomes. */
	{"spf.record.missing", MA_SEV_ERROR, "The domain publishes no SPF record",
	 "Publish one TXT record starting 'v=spf1' (RFC 7208 3, 4.5); a domain that sends no mail publishes "
	 "'v=spf1 -all' (UK government standard)."},
	{"spf.record.multiple", MA_SEV_ERROR, "The domain publishes more than one SPF record: receivers return "
	 "permerror",
	 "Merge them into exactly one TXT record starting 'v=spf1' (RFC 7208 3.2, 4.5)."},
	{"spf.lookup.inconclusive", MA_SEV_WARNING, "A DNS query failed temporarily; the result is inconclusive",
	 "Receivers return temperror while the query fails (RFC 7208 2.6.6); check the name servers and run the "
	 "check again."},
	{"spf.include.no-record", MA_SEV_ERROR, "An included domain has no SPF record: receivers return permerror",
	 "include: of a domain without an SPF record is a permerror (RFC 7208 5.2); remove the include or fix the "
	 "name."},
	{"spf.include.invalid", MA_SEV_ERROR, "An included or redirected-to record is broken: receivers return "
	 "permerror",
	 "Errors in an included record propagate (RFC 7208 5.2, 6.1); ask the owner to fix it or remove the include."},
	{"spf.include.loop", MA_SEV_ERROR, "The includes or redirects form a loop",
	 "A loop runs into the lookup limit and gives permerror (RFC 7208 4.6.4, 5.2); remove the include that "
	 "points back."},
	{"spf.redirect.no-record", MA_SEV_ERROR, "The redirect target has no SPF record: receivers return permerror",
	 "redirect= to a domain without an SPF record is a permerror (RFC 7208 6.1)."},
	{"spf.void.over-limit", MA_SEV_ERROR, "More than 2 lookups return no answer: receivers return permerror",
	 "Names that do not exist or have no records count as void lookups, limited to 2 (RFC 7208 4.6.4); remove "
	 "terms naming dead domains."},
	{"spf.mx.too-many", MA_SEV_ERROR, "An mx mechanism names a domain with more than 10 MX records",
	 "The mx mechanism gives permerror past 10 MX names (RFC 7208 4.6.4); use ip4:/ip6: or a: instead."},
	{"spf.tree.macro", MA_SEV_INFO, "A term depends on the message (macros) and cannot be expanded in advance",
	 "Macros are expanded per message (RFC 7208 7); its lookups are counted but its addresses are unknown."},
	{NULL, MA_SEV_OK, NULL, NULL},
};
