/* src/lib/dmarc_align.c — organisational domains by the Public Suffix List (RFC 7489 3.2) and identifier alignment
 * (RFC 7489 3.1, RFC 9989 4.4). The tree-walk organisational domain needs DNS: see dmarc_discover.c. */
#include <string.h>

#include "lib/dmarc.h"
#include "lib/err.h"

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

int ma_dmarc_domain_norm(const char *in, char *out, size_t outsz)
{
	if (in == NULL || out == NULL || outsz == 0)
		return MA_ERR_INVAL;
	size_t len = strlen(in);
	/* Stray leading/trailing dots are tolerated as receivers do (OpenDMARC normalises them). */
	while (len > 0 && in[0] == '.') {
		in++;
		len--;
	}
	while (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len >= outsz || !ma_dns_name_is_valid(in, len))
		return MA_ERR_INVAL;
	for (size_t i = 0; i < len; i++)
		out[i] = lower(in[i]);
	out[len] = '\0';
	return MA_OK;
}

int ma_dmarc_org_psl(const psl_ctx_t *psl, const char *domain, char *out, size_t outsz)
{
	if (psl == NULL || domain == NULL || out == NULL || outsz == 0)
		return MA_ERR_INVAL;
	size_t len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		len--; /* one trailing dot: the absolute form of the same name */
	char norm[MA_DNS_NAME_MAX + 1];
	if (len == 0 || len >= sizeof norm || !ma_dns_name_is_valid(domain, len))
		return MA_ERR_INVAL;
	for (size_t i = 0; i < len; i++)
		norm[i] = lower(domain[i]);
	norm[len] = '\0';
	/* RFC 7489 3.2 steps 3-4: the longest matching public suffix plus one label. libpsl applies the implicit
	 * "*" rule for unlisted TLDs, as the PSL algorithm says. NULL: the name is itself a public suffix. */
	const char *reg = psl_registrable_domain(psl, norm);
	if (reg == NULL)
		return MA_ERR_NOTFOUND;
	size_t n = strlen(reg);
	if (n >= outsz)
		return MA_ERR_INVAL;
	memcpy(out, reg, n + 1);
	return MA_OK;
}

bool ma_dmarc_aligned(const char *author, const char *author_org, const char *ident, const char *ident_org,
		      enum ma_dmarc_mode mode)
{
	char a[MA_DNS_NAME_MAX + 1], b[MA_DNS_NAME_MAX + 1];
	if (ma_dmarc_domain_norm(author, a, sizeof a) != MA_OK || ma_dmarc_domain_norm(ident, b, sizeof b) != MA_OK)
		return false;
	if (mode == MA_DMARC_STRICT)
		return strcmp(a, b) == 0; /* RFC 9989 3.2.10.2: exact match (case-insensitive) */
	/* RFC 9989 3.2.10.1: relaxed — same organisational domain. */
	if (author_org == NULL || ident_org == NULL)
		return false;
	if (ma_dmarc_domain_norm(author_org, a, sizeof a) != MA_OK || ma_dmarc_domain_norm(ident_org, b, sizeof b) != MA_OK)
		return false;
	return strcmp(a, b) == 0;
}

bool ma_dmarc_aligned_psl(const psl_ctx_t *psl, const char *author, const char *ident, enum ma_dmarc_mode mode)
{
	char a[MA_DNS_NAME_MAX + 1], b[MA_DNS_NAME_MAX + 1], ao[MA_DNS_NAME_MAX + 1], bo[MA_DNS_NAME_MAX + 1];
	if (ma_dmarc_domain_norm(author, a, sizeof a) != MA_OK || ma_dmarc_domain_norm(ident, b, sizeof b) != MA_OK)
		return false;
	if (mode == MA_DMARC_STRICT)
		return strcmp(a, b) == 0;
	/* A name that is itself a public suffix is its own organisational domain (RFC 7489 3.2 gives no other). */
	int rc = ma_dmarc_org_psl(psl, a, ao, sizeof ao);
	if (rc == MA_ERR_NOTFOUND)
		memcpy(ao, a, strlen(a) + 1);
	else if (rc != MA_OK)
		return false;
	rc = ma_dmarc_org_psl(psl, b, bo, sizeof bo);
	if (rc == MA_ERR_NOTFOUND)
		memcpy(bo, b, strlen(b) + 1);
	else if (rc != MA_OK)
		return false;
	return strcmp(ao, bo) == 0;
}
