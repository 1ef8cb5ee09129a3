/* src/lib/scan_findings.c — finding definitions of the per-domain posture scan (lib/scan.h). IDs are stable; see
 * docs/findings.md. The record modules' own findings (spf.*, dmarc.*, dkim.*, mta-sts.*, tlsrpt.*) are reported
 * by the scan too; these are what only a whole-domain view can see: MX hosts, DNSSEC and DANE, whether each area
 * could be checked at all, and the parked-domain rules. */
#include "lib/finding.h"

const struct ma_finding_def ma_scan_finding_defs[] = {
    /* MX (RFC 5321 5.1, RFC 7505). */
    {"scan.mx.ok", MA_SEV_OK, "The domain publishes MX records and every MX host has an address",
     "Keep every MX host covered by the MTA-STS policy and, where the zone is signed, by TLSA records "
     "(RFC 8461 4.1, RFC 7672)."},
    {"scan.mx.null", MA_SEV_INFO, "The domain publishes a null MX: it accepts no mail",
     "Right for a domain that receives no mail (RFC 7505 3); also publish 'v=spf1 -all' and DMARC p=reject if it "
     "sends none either."},
    {"scan.mx.null-mixed", MA_SEV_ERROR, "A null MX is published together with other MX records",
     "A domain that advertises a null MX must not advertise any other MX (RFC 7505 3): remove the '0 .' record or "
     "the others."},
    {"scan.mx.implicit", MA_SEV_WARNING, "No MX records: senders deliver to the domain's own address (implicit MX)",
     "RFC 5321 5.1 falls back to the A/AAAA of the domain; publish an MX record for a domain that receives mail, "
     "or a null MX ('MX 0 .', RFC 7505) for one that does not."},
    {"scan.mx.no-mail", MA_SEV_INFO, "No MX and no address: the domain cannot receive mail",
     "If the domain should receive no mail, say so explicitly with a null MX ('MX 0 .', RFC 7505 3)."},
    {"scan.mx.nxdomain", MA_SEV_ERROR, "The domain does not exist in the DNS",
     "Check the name; a scan of a non-existent domain can only report that (RFC 8020)."},
    {"scan.mx.too-many", MA_SEV_WARNING, "More MX hosts than the scan follows; the rest were not checked",
     "Few domains need more than a handful of MX hosts; the extra ones were not resolved or graded."},
    {"scan.mx.host-invalid", MA_SEV_ERROR, "An MX record is malformed or names an address instead of a host",
     "The MX exchange must be a host name with A/AAAA records, never an IP literal (RFC 5321 5.1, RFC 1035 3.3.9)."},
    {"scan.mx.host-no-address", MA_SEV_ERROR, "An MX host has no A or AAAA record: mail to it cannot be delivered",
     "Publish an address for every MX host or remove the MX record (RFC 5321 5.1)."},

    /* DMARC: what the record module cannot know alone. */
    {"scan.dmarc.sp-none", MA_SEV_WARNING, "The domain's policy is enforced but its subdomains get p=none",
     "Set sp=quarantine or sp=reject once subdomain senders are aligned (RFC 9989 4.7 'sp'); the UK standard "
     "requires sp at quarantine or reject."},
    {"scan.dmarc.not-reject", MA_SEV_INFO, "The DMARC policy is quarantine, not reject",
     "p=reject is the end state: failing mail is refused rather than filed as spam (RFC 9989 5.1.7); BOD 18-01 "
     "required p=reject."},
    {"scan.dmarc.rua-no-uk-central", MA_SEV_INFO, "DMARC rua does not include the UK central reporting service",
     "UK public sector: add mailto:dmarc-rua@dmarc.service.gov.uk to rua (gov.uk 'Set up government email "
     "services securely')."},
    {"scan.dmarc.rua-no-cisa", MA_SEV_INFO, "DMARC rua does not include CISA's reporting address",
     "US federal executive branch: BOD 18-01 required mailto:reports@dmarc.cyber.dhs.gov in rua."},

    /* DKIM selectors (RFC 6376 3.6.2.1). */
    {"scan.dkim.found", MA_SEV_OK, "A DKIM public key is published for a selector",
     "Keep RSA keys at 2048 bits or more (RFC 8301 3.2) and rotate them; revoke unused selectors with an empty p= "
     "(RFC 6376 3.6.1)."},
    {"scan.dkim.unknown", MA_SEV_INFO, "No DKIM selector is known, so DKIM could not be judged",
     "DKIM keys cannot be listed from the DNS (RFC 6376 3.6.2.1): name your selectors, or ingest DMARC aggregate "
     "reports so the scan learns them. This is not evidence that DKIM is missing."},
    {"scan.dkim.selector-missing", MA_SEV_WARNING, "A selector that was named has no DKIM key record",
     "The selector was given or learned from reports but <selector>._domainkey.<domain> has no key: mail signed "
     "with it fails DKIM (RFC 6376 6.1.2). Publish the key, or stop using the selector."},
    {"scan.dkim.not-dkim", MA_SEV_WARNING, "A TXT record at a selector name is not a DKIM key record",
     "Only a key record (v=DKIM1; k=...; p=...) belongs at <selector>._domainkey.<domain> (RFC 6376 3.6.1)."},
    {"scan.dkim.wildcard-revoked", MA_SEV_OK, "*._domainkey publishes an empty key: every selector is revoked",
     "Right for a domain that sends no mail (gov.uk 'Protect domains that don't send email', RFC 6376 3.6.1)."},

    /* MTA-STS (RFC 8461). */
    {"scan.mtasts.none", MA_SEV_WARNING, "The domain receives mail but publishes no MTA-STS policy",
     "Publish _mta-sts TXT 'v=STSv1; id=...' and a policy at https://mta-sts.<domain>/.well-known/mta-sts.txt, "
     "starting in testing mode (RFC 8461 3; UK standard)."},
    {"scan.mtasts.host-no-address", MA_SEV_ERROR,
     "The _mta-sts record is published but mta-sts.<domain> has no address",
     "Senders fetch the policy from https://mta-sts.<domain>/ (RFC 8461 3.3): publish A/AAAA records for that host."},
    {"scan.mtasts.policy-unreachable", MA_SEV_ERROR, "The MTA-STS policy could not be fetched",
     "Senders fetch the policy over HTTPS from mta-sts.<domain> (RFC 8461 3.3); make it answer on port 443 within "
     "a few seconds."},
    {"scan.mtasts.policy-tls", MA_SEV_ERROR, "The MTA-STS policy host failed TLS or its certificate is not valid",
     "The policy host must present a certificate valid for mta-sts.<domain> from a trusted CA (RFC 8461 3.3); "
     "senders ignore a policy they cannot fetch securely."},
    {"scan.mtasts.policy-missing", MA_SEV_ERROR, "The MTA-STS policy URL answers 404: the record points at nothing",
     "Serve the policy at https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 3.3), or remove the "
     "_mta-sts record."},
    {"scan.mtasts.policy-http-status", MA_SEV_ERROR, "The MTA-STS policy URL did not answer 200 OK",
     "Senders accept only a 200 response and follow no redirects (RFC 8461 3.3)."},
    {"scan.mtasts.policy-too-big", MA_SEV_ERROR, "The MTA-STS policy response is implausibly large",
     "A policy is a few lines of text (RFC 8461 3.2); senders may cap the size they read (RFC 8461 3.3)."},
    {"scan.mtasts.policy-protocol", MA_SEV_ERROR, "The MTA-STS policy host did not answer HTTP",
     "Serve the policy over HTTPS on port 443 (RFC 8461 3.3)."},
    {"scan.mtasts.content-type", MA_SEV_WARNING, "The MTA-STS policy is not served as text/plain",
     "RFC 8461 3.2 gives the policy the media type text/plain; some senders refuse other types."},
    {"scan.mtasts.policy-without-txt", MA_SEV_WARNING, "An MTA-STS policy is served but no _mta-sts TXT record exists",
     "Senders look for the policy only when the TXT record exists (RFC 8461 3.1): publish "
     "_mta-sts TXT 'v=STSv1; id=...'."},
    {"scan.mtasts.mx-covered", MA_SEV_OK, "Every MX host matches the MTA-STS policy's mx patterns",
     "Update the policy (and its id) before changing MX hosts (RFC 8461 8.3)."},
    {"scan.mtasts.mx-not-covered", MA_SEV_WARNING, "An MX host does not match any mx pattern of the testing policy",
     "In enforce mode senders would refuse to deliver to it (RFC 8461 4.1): add the host to the policy before "
     "enforcing."},
    {"scan.mtasts.mx-not-covered-enforce", MA_SEV_ERROR,
     "An MX host does not match any mx pattern of the enforced policy: senders will not deliver to it",
     "RFC 8461 4.1 and 5: add an mx line for the host (and change the TXT id) or remove the MX record."},

    /* TLS-RPT (RFC 8460). */
    {"scan.tlsrpt.none", MA_SEV_WARNING, "The domain receives mail but publishes no TLS-RPT record",
     "Publish _smtp._tls TXT 'v=TLSRPTv1; rua=mailto:...' to learn of TLS failures (RFC 8460 3); UK public sector: "
     "tls-rua@mailcheck.service.ncsc.gov.uk."},

    /* DNSSEC (RFC 4033, RFC 4035) of the domain and of each MX host name. */
    {"scan.dnssec.signed", MA_SEV_OK, "The domain's answers are DNSSEC-signed with a chain of trust",
     "Keep the DS record at the parent in step with key rollovers (RFC 6781)."},
    {"scan.dnssec.unsigned", MA_SEV_WARNING, "The domain's zone is not DNSSEC-signed",
     "Sign the zone and publish its DS at the parent (RFC 4033, RFC 6781); DANE for the MX hosts needs it "
     "(RFC 7672 2.2)."},
    {"scan.dnssec.bogus", MA_SEV_ERROR, "DNSSEC validation of the domain's answers failed",
     "Validating resolvers refuse bogus answers, so senders behind them cannot reach the domain: fix the "
     "signatures or the DS at the parent (RFC 4035 5.5)."},
    {"scan.dnssec.unchecked", MA_SEV_INFO, "DNSSEC was not validated, so its status is unknown",
     "Scan through a validating resolver to judge DNSSEC and DANE."},
    {"scan.dnssec.mx-signed", MA_SEV_OK, "An MX host's address records are DNSSEC-signed",
     "Signed MX host names let senders use DANE (RFC 7672 2.2)."},
    {"scan.dnssec.mx-unsigned", MA_SEV_WARNING, "An MX host's name is in a zone that is not DNSSEC-signed",
     "DANE needs the MX host's address and TLSA records to be secure (RFC 7672 2.2.1); ask the provider or sign "
     "the zone."},
    {"scan.dnssec.mx-bogus", MA_SEV_ERROR, "DNSSEC validation of an MX host's answers failed",
     "Validating senders cannot resolve the host (RFC 4035 5.5): fix the host zone's signatures or DS."},

    /* DANE TLSA for SMTP (RFC 7672, RFC 6698). */
    {"scan.tlsa.secure", MA_SEV_OK, "An MX host publishes DNSSEC-signed TLSA records (DANE)",
     "Publish the next key's TLSA record before rolling the certificate (RFC 7671 8.1)."},
    {"scan.tlsa.insecure", MA_SEV_WARNING, "An MX host publishes TLSA records in an unsigned zone: senders ignore them",
     "TLSA records count only when DNSSEC-validated (RFC 7672 2.2); sign the host's zone."},
    {"scan.tlsa.none", MA_SEV_INFO, "An MX host publishes no TLSA records",
     "With a signed zone, publish '_25._tcp.<mx> TLSA 3 1 1 <sha256 of the key>' so senders authenticate the "
     "server (RFC 7672 3.1)."},
    {"scan.tlsa.malformed", MA_SEV_ERROR, "A TLSA record is malformed",
     "A TLSA record is usage (0-3), selector (0-1), matching type (0-2) and data whose length fits the matching "
     "type (RFC 6698 2.1, RFC 7218)."},
    {"scan.tlsa.pkix-usage", MA_SEV_WARNING, "A TLSA record uses a PKIX usage (0 or 1), which SMTP senders ignore",
     "RFC 7672 3.1.3: use DANE-EE(3) or DANE-TA(2) for SMTP."},

    /* The parked-domain rules (gov.uk 'Protect domains that don't send email'). */
    {"scan.parked.ok", MA_SEV_OK, "The domain sends and receives no mail and says so in every record",
     "Keep the null MX, 'v=spf1 -all', DMARC p=reject and the revoked *._domainkey in place."},
    {"scan.parked.spf", MA_SEV_ERROR, "A domain that sends no mail does not publish 'v=spf1 -all'",
     "Publish exactly 'v=spf1 -all' so receivers reject mail forged from it (RFC 7208 5.1)."},
    {"scan.parked.dmarc", MA_SEV_ERROR,
     "A domain that sends no mail lacks DMARC 'p=reject; sp=reject; adkim=s; aspf=s'",
     "Publish 'v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s; rua=mailto:...' at _dmarc.<domain> "
     "(gov.uk 'Protect domains that don't send email')."},
    {"scan.parked.dkim", MA_SEV_WARNING, "A domain that sends no mail has no revoked wildcard DKIM key",
     "Publish '*._domainkey TXT \"v=DKIM1; p=\"' so no selector verifies (RFC 6376 3.6.1)."},
    {"scan.parked.null-mx", MA_SEV_WARNING, "A domain that receives no mail does not publish a null MX",
     "Publish 'MX 0 .' (RFC 7505 3) so senders fail at once instead of trying the domain's address."},

    /* An area that could not be checked: a timeout is never "missing" (STYLE.md). */
    {"scan.inconclusive.mx", MA_SEV_WARNING, "MX hosts could not be checked: a lookup failed or was bogus",
     "Scan again later; a persistent SERVFAIL or bogus answer means the zone is broken for receivers too."},
    {"scan.inconclusive.spf", MA_SEV_WARNING, "SPF could not be checked: a lookup failed or was bogus",
     "Receivers get a temperror in the same situation (RFC 7208 2.6.6); scan again later."},
    {"scan.inconclusive.dmarc", MA_SEV_WARNING, "DMARC could not be checked: a lookup failed or was bogus",
     "Receivers cannot apply the policy either (RFC 9989 4.10); scan again later."},
    {"scan.inconclusive.dkim", MA_SEV_WARNING, "A DKIM selector could not be checked: a lookup failed or was bogus",
     "Verifiers get a temporary failure in the same situation (RFC 6376 6.1.2); scan again later."},
    {"scan.inconclusive.mtasts", MA_SEV_WARNING, "MTA-STS could not be checked: a lookup failed or was bogus",
     "Senders treat a failed TXT lookup as no new policy (RFC 8461 3.3); scan again later."},
    {"scan.inconclusive.tlsrpt", MA_SEV_WARNING, "TLS-RPT could not be checked: a lookup failed or was bogus",
     "Scan again later."},
    {"scan.inconclusive.dnssec", MA_SEV_WARNING, "DNSSEC or TLSA could not be checked: a lookup failed",
     "Scan again later; a persistent failure means DANE senders cannot deliver either (RFC 7672 2.2)."},
    {NULL, MA_SEV_OK, NULL, NULL},
};
