/* bench/report_agg/agg_bench.c — throughput of the aggregate report parser (lib/report_agg.h).
 *
 * 1. One large report (default 100 MB, generated in memory beforehand) fed in 64 KiB chunks: MB/s, records/s and the
 *    peak RSS growth while parsing. Baseline in the same run: libxml2's SAX2 push parser with empty callbacks over
 *    the same bytes, so the ratio is our cost on top of the XML parsing itself.
 * 2. Many small reports (a typical 2 KB, 3-record report): reports/s, parser created and freed for each.
 * Usage: agg_bench [MB] [small-reports] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libxml/parser.h>

#include "lib/err.h"
#include "lib/report_agg.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback><report_metadata><org_name>Bench"
                           "</org_name><email>b@bench.example</email><report_id>1</report_id><date_range><begin>"
                           "1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published>"
                           "<domain>example.com</domain><p>none</p></policy_published>\n";

static size_t record(char *buf, size_t size, unsigned i)
{
	int n = snprintf(buf, size,
	                 "<record><row><source_ip>10.%u.%u.%u</source_ip><count>%u</count><policy_evaluated>"
	                 "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>"
	                 "<identifiers><header_from>example.com</header_from><envelope_from>bounce.example.net"
	                 "</envelope_from></identifiers><auth_results><dkim><domain>example.com</domain><selector>s1"
	                 "</selector><result>pass</result></dkim><spf><domain>bounce.example.net</domain><scope>mfrom"
	                 "</scope><result>fail</result></spf></auth_results></record>\n",
	                 (i >> 16) & 255, (i >> 8) & 255, i & 255, i % 7 + 1);
	return n > 0 ? (size_t)n : 0;
}

static int on_record(const struct ma_agg_record *r, void *arg)
{
	uint64_t *n = arg;
	*n += r->count;
	return MA_OK;
}

static void bare_sax(const char *doc, size_t len)
{
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof sax);
	sax.initialized = XML_SAX2_MAGIC;
	xmlParserCtxtPtr c = xmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL);
	xmlCtxtUseOptions(c, XML_PARSE_NONET);
	for (size_t off = 0; off < len; off += 65536)
		xmlParseChunk(c, doc + off, (int)(len - off < 65536 ? len - off : 65536), 0);
	xmlParseChunk(c, NULL, 0, 1);
	xmlFreeParserCtxt(c);
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	unsigned small = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 100000;
	size_t cap = mb * 1000000 + 4096, len = 0;
	char *doc = malloc(cap);
	if (doc == NULL)
		return 2;
	memcpy(doc, head, sizeof head - 1);
	len = sizeof head - 1;
	unsigned nrec = 0;
	while (len + 1024 < mb * 1000000)
		len += record(doc + len, cap - len, nrec++);
	memcpy(doc + len, "</feedback>\n", 12);
	len += 12;

	double t0 = now();
	bare_sax(doc, len);
	double bare = now() - t0;

	long rss0 = maxrss_kb();
	uint64_t messages = 0;
	struct ma_agg_parser_cbs cbs = {.on_record = on_record};
	struct ma_agg_parser *p;
	t0 = now();
	ma_agg_parser_new(&cbs, &messages, &p);
	int rc = MA_OK;
	for (size_t off = 0; off < len && rc == MA_OK; off += 65536)
		rc = ma_agg_parser_feed(p, doc + off, len - off < 65536 ? len - off : 65536);
	if (rc == MA_OK)
		rc = ma_agg_parser_finish(p);
	double ours = now() - t0;
	long rss1 = maxrss_kb();
	if (rc != MA_OK || ma_agg_parser_records(p) != nrec) {
		fprintf(stderr, "parse failed: %s\n", ma_agg_parser_why(p));
		return 1;
	}
	ma_agg_parser_free(p);
	printf("large report: %.1f MB, %u records: %.0f MB/s, %.0f records/s, peak RSS growth %ld KiB "
	       "(bare libxml2 SAX %.0f MB/s; ratio %.2f)\n",
	       len / 1e6, nrec, len / 1e6 / ours, nrec / ours, rss1 - rss0, len / 1e6 / bare, ours / bare);
	free(doc);

	char one[4096];
	size_t n1 = sizeof head - 1;
	memcpy(one, head, n1);
	for (unsigned i = 0; i < 3; i++)
		n1 += record(one + n1, sizeof one - n1, i);
	memcpy(one + n1, "</feedback>\n", 12);
	n1 += 12;
	t0 = now();
	for (unsigned i = 0; i < small; i++) {
		ma_agg_parser_new(&cbs, &messages, &p);
		if (ma_agg_parser_feed(p, one, n1) != MA_OK || ma_agg_parser_finish(p) != MA_OK)
			return 1;
		ma_agg_parser_free(p);
	}
	double ts = now() - t0;
	printf("small reports: %u x %zu bytes: %.0f reports/s\n", small, n1, small / ts);
	return 0;
}
