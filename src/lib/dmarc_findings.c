/* src/lib/dmarc_findings.c — finding definitions of the dmarc module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_dmarc_findings[] = {
	/* The record as text (dmarc_parse.c). */
	{"dmarc.record.empty", MA_SEV_ERROR, "The DMARC record is empty",
	 "Publish a TXT record starting 'v=DMARC1;' followed by at least p= (RFC 9989 4.7, RFC 7489 6.3)."},
	{"dmarc.record.not-dmarc", MA_SEV_ERROR, "The record does not start with v=DMARC1, so receivers ignore it",
	 "The v tag must be the first tag with the exact value DMARC1 (RFC 9989 4.7 'v', RFC 7489 6.3); receivers "
	 "discard any other TXT record at the _dmarc name (RFC 9989 4.10 step 2)."},
	{"dmarc.record.version-invalid", MA_SEV_ERROR, "The v tag is not exactly DMARC1, so receivers ignore the record",
	 "The value is case-sensitive and must be followed by ';' before the next tag: 'v=DMARC1; p=...' "
	 "(RFC 9989 4.8 dmarc-version, RFC 7489 6.4)."},
	{"dmarc.record.too-long", MA_SEV_ERROR, "The DMARC record is implausibly long and was not parsed",
	 "A DMARC record needs only a few hundred bytes; publish one short record at _dmarc.<domain> "
	 "(RFC 9989 4.7)."},
	{"dmarc.record.too-many-tags", MA_SEV_ERROR, "The DMARC record has too many tags; the rest were not parsed",
	 "RFC 9989 4.7 defines eleven tags; remove repeated or invented tags."},
	{"dmarc.record.syntax", MA_SEV_WARNING, "A part of the record is not a tag=value pair and was skipped",
	 "Each tag is 'name=value' separated by ';' (RFC 9989 4.8 dmarc-record, RFC 7489 6.4); strict receivers "
	 "reject the whole record."},
	{"dmarc.tag.unknown", MA_SEV_INFO, "The record has a tag DMARC does not define; receivers ignore it",
	 "Unknown tags MUST be ignored (RFC 9989 4.7, RFC 7489 6.3); check for a typing error in a tag name."},
	{"dmarc.tag.duplicate", MA_SEV_ERROR, "A tag appears more than once",
	 "Keep one instance of each tag: receivers disagree on which one wins and strict ones discard the record "
	 "(RFC 9989 4.7, RFC 6376 3.2 tag-list)."},
	{"dmarc.tag.invalid", MA_SEV_ERROR, "A tag has an invalid value and receivers fall back to its default",
	 "Syntax errors are discarded in favour of default values (RFC 9989 4.8); use the values RFC 9989 4.7 "
	 "lists for the tag."},
	{"dmarc.tag.p-not-second", MA_SEV_WARNING, "The p tag does not directly follow v",
	 "RFC 7489 6.4's grammar puts p right after v and strict RFC 7489 receivers reject other orders; RFC 9989 "
	 "only requires v first. Write 'v=DMARC1; p=...' for both."},
	{"dmarc.tag.rfc7489-only", MA_SEV_INFO, "The record uses pct, rf or ri, which RFC 9989 removed",
	 "RFC 9989 receivers ignore pct, rf and ri (RFC 9989 Appendix C); RFC 7489 receivers still honour them "
	 "(RFC 7489 6.3). Prefer t=y for testing and drop pct once it is 100."},
	{"dmarc.tag.rfc9989-only", MA_SEV_INFO, "The record uses np, t or psd, which RFC 7489 receivers ignore",
	 "Fine to publish: RFC 7489 receivers ignore unknown tags (RFC 7489 6.3), so make sure p and sp alone give "
	 "the protection you want from them (RFC 9989 4.7)."},
	{"dmarc.uri.invalid", MA_SEV_ERROR, "A report URI is not a valid URI and is ignored",
	 "rua and ruf take comma-separated URIs (RFC 3986) with commas and '!' percent-encoded, e.g. "
	 "'mailto:dmarc@example.com' (RFC 9989 4.8 dmarc-urilist, RFC 7489 6.4)."},
	{"dmarc.uri.size-suffix", MA_SEV_INFO, "A report URI carries an obsolete '!size' limit",
	 "RFC 9989 4.8 makes the '!size' suffix obsolete and reporters ignore it; it is harmless for RFC 7489 "
	 "receivers (RFC 7489 6.2)."},

	/* Policy-level checks of a parsed record (dmarc_lint.c). */
	{"dmarc.policy.missing", MA_SEV_ERROR, "No valid p tag and no valid rua: receivers apply no DMARC at all",
	 "Publish p=none, p=quarantine or p=reject (RFC 9989 4.10.1, RFC 7489 6.6.3); the UK standard requires p "
	 "at quarantine or reject."},
	{"dmarc.policy.as-none", MA_SEV_WARNING,
	 "p is missing or p, sp or np is invalid: receivers treat the record as p=none",
	 "With a valid rua, a record lacking a valid p (or with an invalid sp/np) acts as p=none (RFC 9989 4.10.1, "
	 "RFC 7489 6.6.3); publish a valid p."},
	{"dmarc.policy.none", MA_SEV_WARNING, "p=none: monitoring only, failing mail is delivered as normal",
	 "Once reports show legitimate mail aligned, move to p=quarantine then p=reject (RFC 9989 5.1.7); the UK "
	 "standard requires quarantine or reject."},
	{"dmarc.policy.enforced", MA_SEV_OK, "The policy is enforced (quarantine or reject)",
	 "Keep watching aggregate reports for legitimate senders that fail (RFC 9989 5.1.6)."},
	{"dmarc.sp.weaker", MA_SEV_WARNING, "sp is weaker than p: subdomains are less protected than the domain",
	 "Unless you are staging subdomains, set sp to at least p (RFC 9989 4.7 'sp'); the UK standard requires sp "
	 "at quarantine or reject."},
	{"dmarc.np.weaker", MA_SEV_WARNING, "np is weaker than the policy for existing subdomains",
	 "Non-existent subdomains send no legitimate mail: np=reject is safe (RFC 9989 4.7 'np'). RFC 7489 "
	 "receivers use sp for them."},
	{"dmarc.pct.partial", MA_SEV_WARNING, "pct is below 100: RFC 7489 receivers apply the policy to some mail only",
	 "Set pct=100 or remove it (the UK standard requires pct=100 for RFC 7489 receivers); RFC 9989 removed pct "
	 "and ignores it, so use t=y for testing (RFC 9989 4.7 't')."},
	{"dmarc.testing", MA_SEV_WARNING, "t=y: the domain is testing, RFC 9989 receivers apply one level less",
	 "t=y asks RFC 9989 receivers to apply one level below p (RFC 9989 4.7 't'); RFC 7489 receivers ignore it "
	 "and apply p in full. Remove t=y when testing is over."},
	{"dmarc.rua.missing", MA_SEV_WARNING, "No rua: nobody receives aggregate reports for this domain",
	 "Add rua=mailto:... to learn which sources send as the domain (RFC 9989 4.7 'rua'); UK public sector: "
	 "include mailto:dmarc-rua@dmarc.service.gov.uk."},
	{"dmarc.rua.too-many", MA_SEV_WARNING, "More than two rua URIs",
	 "The UK standard allows at most two rua URIs; receivers may limit how many they send to (RFC 9990 3)."},
	{"dmarc.uri.not-mailto", MA_SEV_WARNING, "A report URI is not mailto:, which receivers need not support",
	 "Receivers only have to support mailto: (RFC 9989 4.7 'rua'/'ruf') and ignore other schemes; the UK standard "
	 "requires mailto only."},
	{"dmarc.uri.mailto-invalid", MA_SEV_ERROR, "A mailto: report URI has no valid address",
	 "Write the address as mailto:local@domain (RFC 6068) with a resolvable domain (RFC 9989 4.7 'rua')."},
	{"dmarc.ruf.present", MA_SEV_INFO, "ruf requests failure reports, which can carry personal data",
	 "Few receivers send failure reports and they may contain message content (RFC 9989 11.6, RFC 9991); only "
	 "request them to an address you control."},
	{"dmarc.ruf.central-service", MA_SEV_WARNING, "ruf sends failure reports to the UK central DMARC service",
	 "The UK standard forbids ruf to the central service (dmarc.service.gov.uk): it does not accept failure "
	 "reports. Remove that URI from ruf."},
	{"dmarc.fo.without-ruf", MA_SEV_INFO, "fo is set but there is no ruf, so it has no effect",
	 "fo only matters with ruf (RFC 9989 4.7 'fo', RFC 7489 6.3)."},
	{"dmarc.fo.conflict", MA_SEV_WARNING, "fo has both 0 and 1",
	 "RFC 9989 4.7 makes '0' and '1' mutually exclusive; keep one (RFC 7489 receivers treat 1 as the wider "
	 "request)."},
	{"dmarc.rf.unsupported", MA_SEV_WARNING, "rf names a report format other than afrf",
	 "RFC 7489 6.3 defines only afrf and RFC 9989 removed rf; remove the tag."},
	{"dmarc.psd.declared", MA_SEV_INFO, "psd=y: the record says this is a public suffix domain",
	 "Only public suffix operators publish psd=y (RFC 9989 4.7 'psd', RFC 9091); an organisation's own domain "
	 "should not."},

	/* Discovery (dmarc_discover.c). */
	{"dmarc.discovery.exact", MA_SEV_OK, "A DMARC record is published at the domain itself",
	 "RFC 9989 4.10.1 and RFC 7489 6.6.3 both use the record at _dmarc.<author domain> first."},
	{"dmarc.discovery.inherited", MA_SEV_INFO, "The domain has no record of its own; a parent's policy applies",
	 "Receivers use the organisational domain's record with its sp (or np) policy (RFC 9989 4.10.1, RFC 7489 "
	 "6.6.3); publish _dmarc.<domain> to set this domain's policy explicitly."},
	{"dmarc.discovery.psd", MA_SEV_INFO, "The policy that applies comes from a public suffix domain (psd=y)",
	 "The public suffix operator's policy applies because the organisational domain publishes none "
	 "(RFC 9989 4.10.1); publish your own record at the organisational domain."},
	{"dmarc.discovery.none", MA_SEV_ERROR, "No DMARC policy applies to this domain",
	 "Publish a TXT record at _dmarc.<domain> (or at its organisational domain) starting v=DMARC1 "
	 "(RFC 9989 4.10.1, RFC 7489 6.6.3); the UK standard requires one at every domain."},
	{"dmarc.discovery.multiple", MA_SEV_ERROR, "More than one DMARC record at one name: receivers discard them all",
	 "Publish exactly one v=DMARC1 TXT record per _dmarc name (RFC 9989 4.10 step 2, RFC 7489 6.6.3 step 5)."},
	{"dmarc.discovery.ignored-txt", MA_SEV_WARNING, "A TXT record at a _dmarc name looks like DMARC but is ignored",
	 "Receivers discard records that do not start with exactly 'v=DMARC1' (RFC 9989 4.10 step 2); fix the "
	 "version tag."},
	{"dmarc.discovery.temperror", MA_SEV_WARNING, "A DNS query failed temporarily: the result is inconclusive",
	 "Receivers handle transient errors as they choose (RFC 9989 4.10.1), e.g. deferring mail; check the "
	 "domain's name servers answer reliably."},
	{"dmarc.discovery.bogus", MA_SEV_ERROR, "DNSSEC validation of a DMARC answer failed",
	 "Validating resolvers treat the answer as a failure (RFC 4035 5.5); fix the zone's signatures or DS "
	 "records."},
	{"dmarc.discovery.malformed", MA_SEV_ERROR, "A DNS answer for DMARC could not be parsed",
	 "A TXT record's character-strings must fit its rdata (RFC 1035 3.3.14); republish the record."},
	{"dmarc.discovery.nxdomain", MA_SEV_WARNING, "The domain does not exist (NXDOMAIN)",
	 "For a non-existent domain RFC 9989 receivers apply np (RFC 9989 3.2.13, 4.7 'np') and RFC 7489 receivers "
	 "sp; check the name if it should exist."},
	{"dmarc.discovery.disagree", MA_SEV_WARNING,
	 "The Public Suffix List and the DNS tree walk pick different organisational domains or records",
	 "RFC 7489 receivers (PSL, 6.6.3) and RFC 9989 receivers (tree walk, 4.10) will apply different policies or "
	 "alignment; publish a record at the domain itself, or psd=n at the intended organisational domain."},

	/* External report destinations (dmarc_report.c). */
	{"dmarc.report.external-authorized", MA_SEV_OK, "An external report destination has authorised the reports",
	 "RFC 7489 7.1 and RFC 9990 3: the destination publishes v=DMARC1 at "
	 "<policy-domain>._report._dmarc.<destination>."},
	{"dmarc.report.external-unauthorized", MA_SEV_ERROR,
	 "An external report destination has not authorised reports: receivers will not send them",
	 "Ask the destination to publish 'v=DMARC1;' at <policy-domain>._report._dmarc.<destination> (or a "
	 "wildcard *._report._dmarc.<destination>) (RFC 7489 7.1, RFC 9990 3)."},
	{"dmarc.report.external-inconclusive", MA_SEV_WARNING,
	 "Whether an external report destination authorises reports is unknown (DNS failure)",
	 "Receivers that cannot confirm authorisation do not send (RFC 7489 7.1); check the destination's DNS."},
	{NULL, MA_SEV_OK, NULL, NULL},
};
