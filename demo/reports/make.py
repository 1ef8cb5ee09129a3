#!/usr/bin/env python3
"""demo/reports/make.py: writes the demo's DMARC and SMTP TLS reports (the files beside this script).

Five days of reports for weak.test (p=none) and good.test (p=reject), in the shapes real reporters send: a gzip
file, a zip, a message with a gzip attachment, an RFC 9990 (dmarc-2.0 namespace) report, an ARF failure report, an
SMTP TLS report, and one truncated archive that ingestion must name and skip. The senders tell the rollout story:
weak.test's own MX (passes), its newsletter provider (passes through SPF), its CRM (legitimate, but the SPF policy
needs more than 10 lookups, so it fails), an unlisted marketing platform that signs with its own domain, and a
spoofer. Deterministic: re-running writes the same bytes."""
import gzip, hashlib, io, os, zipfile
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
DAY = 86400
START = int(datetime(2026, 11, 15, tzinfo=timezone.utc).timestamp())

# (ip, messages per day, spf result, spf domain, dkim list [(domain, selector, result)], disposition)
WEAK = [
    ("192.0.2.40", 240, "pass", "weak.test", [("weak.test", "sel2026", "pass")]),
    ("198.51.100.20", 68, "pass", "weak.test", [("mailhost.test", "mh1", "pass")]),
    ("203.0.113.70", 17, "permerror", "weak.test", []),
    ("203.0.113.200", 12, "softfail", "weak.test", [("mcsv.test", "k1", "pass")]),
    ("203.0.113.250", 3, "fail", "weak.test", [("weak.test", "sel2026", "fail")]),
]
GOOD = [
    ("192.0.2.25", 410, "pass", "good.test", [("good.test", "sel1", "pass")]),
    ("198.51.100.20", 55, "pass", "good.test", [("good.test", "sel1", "pass")]),
    ("203.0.113.251", 4, "fail", "good.test", []),
]


def evaluated(spf, dkims, domain):
    spf_ok = spf == "pass"
    dkim_ok = any(d == domain and r == "pass" for d, _, r in dkims)
    return ("pass" if dkim_ok else "fail"), ("pass" if spf_ok else "fail"), spf_ok or dkim_ok


def xml_report(org, email, rid, domain, policy, day, rows, ns=None, share=1.0):
    begin, end = START + day * DAY, START + (day + 1) * DAY - 1
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    out.append('<feedback xmlns="%s">' % ns if ns else "<feedback>")
    if not ns:
        out.append("  <version>1.0</version>")
    out += ["  <report_metadata>", f"    <org_name>{org}</org_name>", f"    <email>{email}</email>",
            f"    <report_id>{rid}</report_id>", "    <date_range>", f"      <begin>{begin}</begin>",
            f"      <end>{end}</end>", "    </date_range>"]
    if ns:
        out.append("    <generator>demo-mta 1.0</generator>")
    out += ["  </report_metadata>", "  <policy_published>", f"    <domain>{domain}</domain>"]
    out += ["    <adkim>r</adkim>", "    <aspf>r</aspf>", f"    <p>{policy}</p>", f"    <sp>{policy}</sp>"]
    if ns:
        out += ["    <np>" + policy + "</np>", "    <discovery_method>treewalk</discovery_method>",
                "    <testing>n</testing>"]
    else:
        out.append("    <pct>100</pct>")
    out.append("  </policy_published>")
    for ip, per_day, spf, spf_dom, dkims in rows:
        count = max(1, int(per_day * share) + (day % 3))
        dk, sp, ok = evaluated(spf, dkims, domain)
        disp = "none" if policy == "none" or ok else policy
        out += ["  <record>", "    <row>", f"      <source_ip>{ip}</source_ip>", f"      <count>{count}</count>",
                "      <policy_evaluated>", f"        <disposition>{disp}</disposition>",
                f"        <dkim>{dk}</dkim>", f"        <spf>{sp}</spf>", "      </policy_evaluated>", "    </row>",
                "    <identifiers>", f"      <header_from>{domain}</header_from>",
                f"      <envelope_from>{spf_dom}</envelope_from>", "    </identifiers>", "    <auth_results>"]
        for d, s, r in dkims:
            out += ["      <dkim>", f"        <domain>{d}</domain>", f"        <selector>{s}</selector>",
                    f"        <result>{r}</result>", "      </dkim>"]
        out += ["      <spf>", f"        <domain>{spf_dom}</domain>", "        <scope>mfrom</scope>",
                f"        <result>{spf}</result>", "      </spf>", "    </auth_results>", "  </record>"]
    out.append("</feedback>")
    return ("\n".join(out) + "\n").encode()


def gz(data, name):
    buf = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=buf, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def message(frm, to, subject, day, parts):
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = frm, to, subject
    m["Date"] = format_datetime(datetime.fromtimestamp(START + (day + 1) * DAY + 3600, timezone.utc))
    m["Message-ID"] = f"<{hashlib.sha256(subject.encode()).hexdigest()[:16]}.{day}@demo.invalid>"
    m.set_content("This is a DMARC aggregate report.\n")
    for data, maintype, subtype, filename in parts:
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    m.set_boundary("demo-" + hashlib.sha256(subject.encode()).hexdigest()[:24])
    return bytes(m)


for day in range(5):
    # A large receiver: gzip files, one per day and domain.
    for dom, pol, rows in (("weak.test", "none", WEAK), ("good.test", "reject", GOOD)):
        x = xml_report("google.com", "noreply-dmarc-support@google.com", f"1731{day}0{len(dom)}", dom, pol, day,
                       rows, share=0.6)
        write(f"google.com!{dom}!{START + day * DAY}!{START + (day + 1) * DAY - 1}.xml.gz",
              gz(x, f"google.com!{dom}.xml"))
    # A second receiver sends zip attachments by mail; the message is what an MTA pipe or a mailbox would see.
    x = xml_report("Enterprise Outlook", "dmarcreport@microsoft.com", f"e4f1c0de{day:02d}aa", "weak.test", "none",
                   day, WEAK, share=0.3)
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as f:
        info = zipfile.ZipInfo(f"enterprise.protection.outlook.com!weak.test!{START + day * DAY}.xml",
                               date_time=(2026, 11, 15 + day, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        f.writestr(info, x)
    write(f"outlook-weak.test-day{day + 1}.eml",
          message("DMARC Aggregate Report <dmarcreport@microsoft.com>", "dmarc@weak.test",
                  f"Report Domain: weak.test Submitter: enterprise.protection.outlook.com Report-ID: <e4f1c0de{day:02d}aa>",
                  day, [(z.getvalue(), "application", "zip", f"enterprise.protection.outlook.com!weak.test.zip")]))
# An RFC 9990 report (the dmarc-2.0 namespace), as a plain XML file.
write("gmx.net!weak.test!rfc9990.xml",
      xml_report("GMX", "dmarc-noreply@gmx.net", "gmx-7781", "weak.test", "none", 4, WEAK, ns="urn:ietf:params:xml:ns:dmarc-2.0",
                 share=0.1))
# A failure report (ARF, RFC 6591) for the spoofer: headers of the original only, no body.
arf = EmailMessage()
arf["From"], arf["To"] = "dmarc-failures@reporter.test", "dmarc-failures@good.test"
arf["Subject"] = "Authentication Failure Report for good.test"
arf["Date"] = format_datetime(datetime.fromtimestamp(START + 2 * DAY + 600, timezone.utc))
arf["Message-ID"] = "<arf-1@reporter.test>"
arf.make_mixed()
arf.set_type("multipart/report")
arf.set_param("report-type", "feedback-report")
text = EmailMessage()
text.set_content("This is an authentication failure report for an email message received from IP 203.0.113.251.\n")
fb = EmailMessage()
fb.set_payload("Feedback-Type: auth-failure\nUser-Agent: demo-reporter/1.0\nVersion: 1\n"
               "Original-Mail-From: <billing@good.test>\nArrival-Date: " +
               format_datetime(datetime.fromtimestamp(START + 2 * DAY, timezone.utc)) +
               "\nSource-IP: 203.0.113.251\nReported-Domain: good.test\nAuthentication-Results: reporter.test; "
               "dmarc=fail (p=reject) header.from=good.test; spf=fail smtp.mailfrom=good.test; dkim=none\n"
               "Auth-Failure: dmarc\nDelivery-Result: reject\n")
fb.add_header("Content-Type", "message/feedback-report")
hdrs = EmailMessage()
hdrs.set_payload("From: \"Accounts\" <billing@good.test>\nTo: victim@reporter.test\nSubject: Overdue invoice\n"
                 "Date: " + format_datetime(datetime.fromtimestamp(START + 2 * DAY, timezone.utc)) +
                 "\nMessage-ID: <spoof-1@203.0.113.251>\n")
hdrs.add_header("Content-Type", "text/rfc822-headers")
arf.attach(text)
arf.attach(fb)
arf.attach(hdrs)
arf.set_boundary("demo-arf-boundary")
write("failure-good.test-arf.eml", bytes(arf))
# An SMTP TLS report (RFC 8460) for good.test, gzip-compressed as RFC 8460 3 sends it.
tls = ('{"organization-name":"Google Inc.","date-range":{"start-datetime":"2026-11-18T00:00:00Z",'
       '"end-datetime":"2026-11-18T23:59:59Z"},"contact-info":"smtp-tls-reporting@google.com",'
       '"report-id":"2026-11-18T00:00:00Z_good.test","policies":[{"policy":{"policy-type":"sts",'
       '"policy-string":["version: STSv1","mode: enforce","mx: mx1.good.test","max_age: 604800"],'
       '"policy-domain":"good.test","mx-host":["mx1.good.test"]},"summary":{"total-successful-session-count":'
       '1412,"total-failure-session-count":3},"failure-details":[{"result-type":"certificate-expired",'
       '"sending-mta-ip":"209.85.220.41","receiving-mx-hostname":"mx1.good.test","failed-session-count":3}]}]}\n')
write("google.com!good.test!tlsrpt.json.gz", gz(tls.encode(), "google.com!good.test.json"))
# A truncated archive: ingestion names it with its reason and goes on with the rest.
whole = gz(xml_report("Broken Mailer", "postmaster@broken.test", "cut-1", "weak.test", "none", 1, WEAK), "cut.xml")
write("truncated.xml.gz", whole[: len(whole) // 2])
