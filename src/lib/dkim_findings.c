/* src/lib/dkim_findings.c — finding definitions of the dkim module (IDs are stable; see docs/findings.md). */
#include "lib/finding.h"

const struct ma_finding_def ma_dkim_findings[] = {
	{"dkim.record.empty", MA_SEV_ERROR, "The DKIM key record is empty",
	 "Publish the selector's key as v=DKIM1; k=rsa; p=<base64 public key> (RFC 6376 3.6.1), or p= with an empty "
	 "value to revoke it."},
	{"dkim.record.too-long", MA_SEV_ERROR, "The DKIM key record is implausibly long and was not parsed",
	 "A 4096-bit RSA key needs under 800 bytes of base64; check what is published at the selector."},
	{"dkim.record.too-many-tags", MA_SEV_ERROR, "The DKIM key record has too many tags and was not parsed",
	 "A key record needs only v, k and p (RFC 6376 3.6.1); remove the rest."},
	{"dkim.record.syntax", MA_SEV_ERROR, "The DKIM key record is not a valid tag list, so verifiers ignore it",
	 "Write tag=value pairs separated by ';' (RFC 6376 3.2), e.g. v=DKIM1; k=rsa; p=MIIB..."},
	{"dkim.record.empty-tag", MA_SEV_WARNING, "The record has an empty tag between semicolons (';;')",
	 "RFC 6376 3.2 allows only one optional ';' at the end: strict verifiers reject the whole record. Remove the "
	 "extra ';'."},
	{"dkim.record.version-invalid", MA_SEV_ERROR, "The v tag is not exactly DKIM1, so verifiers discard the record",
	 "Use v=DKIM1, in upper case, or leave v out (RFC 6376 3.6.1)."},
	{"dkim.record.version-not-first", MA_SEV_ERROR,
	 "The v tag is not the first tag, so verifiers discard the record",
	 "Move v=DKIM1 to the start of the record (RFC 6376 3.6.1: if present it MUST be first)."},
	{"dkim.tag.duplicate", MA_SEV_ERROR, "A tag appears more than once, which makes the whole record invalid",
	 "Keep one copy of each tag (RFC 6376 3.2)."},
	{"dkim.tag.unknown", MA_SEV_INFO, "The record has a tag DKIM does not define; verifiers ignore it",
	 "Tag names are case-sensitive (RFC 6376 3.2): check the spelling, or remove the tag."},
	{"dkim.key.missing", MA_SEV_ERROR, "The record has no p= tag, so no signature can be verified with it",
	 "Publish the public key in p= (RFC 6376 3.6.1); an empty p= revokes the key instead."},
	{"dkim.key.revoked", MA_SEV_INFO, "The key is revoked (empty p=)",
	 "Signatures with this selector fail. This is right for retired selectors; the UK standard asks that unused "
	 "selectors be revoked this way."},
	{"dkim.key.base64-invalid", MA_SEV_ERROR, "The key in p= is not valid base64",
	 "Copy the public key again from the signing service; whitespace inside p= is allowed, other characters are "
	 "not "
	 "(RFC 6376 3.6.1)."},
	{"dkim.key.invalid", MA_SEV_ERROR, "The key in p= cannot be decoded as a public key of its type",
	 "RSA keys are a base64 SubjectPublicKeyInfo (RFC 6376 3.6.1); ed25519 keys the raw 32 bytes (RFC 8463 4)."},
	{"dkim.key.type-unknown", MA_SEV_ERROR, "The k= key type is unknown, so verifiers cannot use the key",
	 "Use k=rsa or k=ed25519 (RFC 6376 3.6.1, RFC 8463)."},
	{"dkim.key.type-mismatch", MA_SEV_ERROR, "The key in p= is not of the type k= declares",
	 "Set k= to the key's real type (k=ed25519 for ed25519 keys; rsa is the default, RFC 6376 3.6.1)."},
	{"dkim.key.pkcs1", MA_SEV_WARNING, "The RSA key is a bare RSAPublicKey rather than a SubjectPublicKeyInfo",
	 "Some verifiers accept it, the standard does not (RFC 6376 3.6.1): publish the SubjectPublicKeyInfo form "
	 "(openssl rsa -pubout)."},
	{"dkim.key.rsa-weak", MA_SEV_ERROR, "The RSA key is shorter than 1024 bits, which RFC 8301 forbids",
	 "RFC 8301 3.2: signers MUST use keys of at least 1024 bits, and many verifiers reject shorter ones; the UK "
	 "standard asks for 2048: generate a 2048-bit key under a new selector, sign with it, then revoke this one."},
	{"dkim.key.rsa-short", MA_SEV_WARNING, "The RSA key is shorter than 2048 bits",
	 "The UK government standard asks for at least 2048-bit RSA keys (RFC 8301 3.2 recommends 2048): rotate to a "
	 "2048-bit key under a new selector."},
	{"dkim.key.rsa-strong", MA_SEV_OK, "The RSA key is at least 2048 bits",
	 "Keep rotating keys periodically; revoke retired selectors with an empty p=."},
	{"dkim.key.ed25519", MA_SEV_OK, "The key is an ed25519 key (RFC 8463)",
	 "Not every verifier supports ed25519 yet: sign with an RSA key as well (RFC 8463 recommends dual signing)."},
	{"dkim.hash.sha1-only", MA_SEV_ERROR, "h= allows SHA-1 only, which verifiers no longer accept",
	 "RFC 8301 3.1 forbids rsa-sha1: remove h= or set h=sha256."},
	{"dkim.hash.unsupported", MA_SEV_ERROR, "h= lists no hash algorithm verifiers support, so the key verifies nothing",
	 "DKIM defines sha256 (and the withdrawn sha1) only (RFC 6376 3.3, RFC 8301 3.1): remove h= or set h=sha256."},
	{"dkim.service.not-email", MA_SEV_ERROR, "s= excludes email, so the key cannot verify mail",
	 "Remove s= or set s=email (RFC 6376 3.6.1)."},
	{"dkim.flag.testing", MA_SEV_WARNING,
	 "t=y: the domain is testing DKIM, verifiers may treat signatures as absent",
	 "Remove t=y once signing works (RFC 6376 3.6.1)."},
	{"dkim.flag.strict", MA_SEV_INFO, "t=s: signatures must use exactly the d= domain in i=, not a subdomain",
	 "Keep it only if no signer uses a subdomain identity (RFC 6376 3.6.1)."},
	{NULL, MA_SEV_OK, NULL, NULL},
};
