//! `GET /metrics` of `examples/http_hello.rs`, checked by a client nobody here wrote:
//! python3's `http.client` scrapes it twice around some traffic; every line must be a valid
//! Prometheus text-format sample or comment, every metric declared once with its type, and
//! the counters must grow between the scrapes.
mod util;

use std::process::Command;

use util::example::Example;

const CHECK: &str = r##"
import http.client, re, sys
host, port = sys.argv[1], int(sys.argv[2])
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(r"^(" + NAME + r")(\{(" + NAME + r")=\"([^\"\\]|\\.)*\"(,(" + NAME + r")=\"([^\"\\]|\\.)*\")*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$")
TYPE = re.compile(r"^# TYPE (" + NAME + r") (counter|gauge|untyped|summary|histogram)$")

def scrape():
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", "/metrics")
    r = c.getresponse()
    assert r.status == 200, r.status
    assert r.getheader("Content-Type").startswith("text/plain; version=0.0.4"), r.getheader("Content-Type")
    text = r.read().decode("utf-8")
    c.close()
    assert text.endswith("\n"), "the exposition ends with a line feed"
    types, values = {}, {}
    for line in text.splitlines():
        if line.startswith("#"):
            m = TYPE.match(line)
            assert m or line.startswith("# HELP "), "bad comment: %r" % line
            if m:
                assert m.group(1) not in types, "declared twice: %r" % line
                types[m.group(1)] = m.group(2)
            continue
        m = SAMPLE.match(line)
        assert m, "not a valid sample: %r" % line
        assert m.group(1) in types, "sample before its TYPE: %r" % line
        key = line.rsplit(" ", 1)[0]
        assert key not in values, "sample twice: %r" % line
        values[key] = float(line.rsplit(" ", 1)[1])
    return types, values

types1, first = scrape()
for i in range(20):
    c = http.client.HTTPConnection(host, port, timeout=10)
    c.request("GET", "/hello/%d" % i)
    r = c.getresponse()
    assert r.status == 200 and r.read() == b"Hello, World!"
    c.close()
types2, second = scrape()
assert types1 == types2
for name in ["crest_spawned_tasks_total", "crest_worker_polls_total", "crest_driver_turns_total",
             "crest_events_dispatched_total", "crest_alive_tasks", "crest_registered_fds"]:
    assert name in types1, "missing " + name
counters = [k for k in first if types1[re.match(NAME, k).group(0)] == "counter"]
assert counters
for k in counters:
    assert second[k] >= first[k], "counter went down: %s %s -> %s" % (k, first[k], second[k])
def total(values, name):
    return sum(v for k, v in values.items() if re.match(NAME, k).group(0) == name)
for name in ["crest_spawned_tasks_total", "crest_worker_polls_total", "crest_events_dispatched_total"]:
    assert total(second, name) > total(first, name), "%s did not grow" % name
assert total(second, "crest_spawned_tasks_total") >= total(first, "crest_spawned_tasks_total") + 20
print("ok", len(first), "samples")
"##;

#[test]
fn metrics_endpoint_parses_and_counters_grow() -> std::io::Result<()> {
    let server = Example::start("http_hello", &["127.0.0.1:0"])?;
    let addr = server.addr();
    let out = Command::new("python3")
        .args(["-c", CHECK, &addr.ip().to_string(), &addr.port().to_string()])
        .output()
        .expect("python3 runs (CI machines have it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stdout.starts_with("ok"), "{stdout}\n{stderr}");
    Ok(())
}
