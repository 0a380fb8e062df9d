/**
 * The SSRF guard of the Playground's URL input. Every server here listens on 127.0.0.1 only, and
 * every test that expects a refusal before any connection passes a fetch that fails the test if
 * called, so nothing is ever sent to another address.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@/tests/assert.ts";
import { blockedReason, fetchImageUrl, UrlFetchError } from "./url_fetch.ts";

const PNG_1x1 = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/q842iQAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

const noFetch: typeof fetch = () => {
  throw new Error("fetch must not be called for a refused address");
};

/** A server on 127.0.0.1 that records the paths it was asked for. */
function serve(handler: (req: Request, url: URL) => Response | Promise<Response>) {
  const seen: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const url = new URL(req.url);
      seen.push(url.pathname);
      return handler(req, url);
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, seen, close: () => server.shutdown() };
}

const onlyLoopback = (a: string) => a === "127.0.0.1";

Deno.test("[url_fetch] loopback, private, link-local, metadata, unique-local and mapped addresses are refused before any connection", async () => {
  const cases: [string, string][] = [
    ["http://127.0.0.1/x.png", "loopback"],
    ["http://127.1/x.png", "loopback"],
    ["http://2130706433/x.png", "loopback"],
    ["http://10.1.2.3/x.png", "private"],
    ["http://172.20.0.1/x.png", "private"],
    ["http://192.168.1.1/x.png", "private"],
    ["http://169.254.169.254/latest/meta-data/", "link-local"],
    ["http://100.64.0.1/x.png", "carrier-grade NAT"],
    ["http://0.0.0.0/x.png", "this network"],
    ["http://[::1]/x.png", "loopback"],
    ["http://[::]/x.png", "unspecified"],
    ["http://[::ffff:127.0.0.1]/x.png", "IPv4-mapped"],
    ["http://[::ffff:a9fe:a9fe]/x.png", "IPv4-mapped"],
    ["http://[fd00:ec2::254]/x.png", "unique-local"],
    ["http://[fe80::1]/x.png", "link-local"],
    ["http://[64:ff9b::7f00:1]/x.png", "NAT64"],
    ["http://[ff02::1]/x.png", "multicast"],
    ["http://localhost/x.png", "this machine"],
    ["http://metadata.google.internal/x.png", "cloud's internals"],
  ];
  for (const [url, why] of cases) {
    const e = await assertRejects(() => fetchImageUrl(url, { fetch: noFetch }), UrlFetchError);
    assertEquals(e.status, 403, url);
    assertStringIncludes(e.message, why);
  }
});

Deno.test("[url_fetch] a name is refused when any address it resolves to is not public", async () => {
  const resolve = (host: string) =>
    Promise.resolve(host === "mixed.example" ? ["93.184.215.14", "127.0.0.1"] : ["10.0.0.7"]);
  for (const host of ["mixed.example", "private.example"]) {
    const e = await assertRejects(
      () => fetchImageUrl(`https://${host}/cat.png`, { resolve, fetch: noFetch }),
      UrlFetchError,
    );
    assertStringIncludes(e.message, `${host} (resolves to`);
  }
  const none = await assertRejects(
    () =>
      fetchImageUrl("https://nowhere.example/", {
        resolve: () => Promise.resolve([]),
        fetch: noFetch,
      }),
    UrlFetchError,
  );
  assertStringIncludes(none.message, "does not resolve");
});

Deno.test("[url_fetch] only http(s) without credentials is fetched", async () => {
  for (
    const url of [
      "file:///etc/passwd",
      "ftp://example.com/a.png",
      "data:image/png;base64,AA==",
      "gopher://x/",
    ]
  ) {
    const e = await assertRejects(() => fetchImageUrl(url, { fetch: noFetch }), UrlFetchError);
    assertEquals(e.status, 400);
    assertStringIncludes(e.message, "Only http and https");
  }
  const cred = await assertRejects(
    () => fetchImageUrl("http://user:pw@93.184.215.14/a.png", { fetch: noFetch }),
    UrlFetchError,
  );
  assertStringIncludes(cred.message, "user name or password");
  await assertRejects(() => fetchImageUrl("not a url", { fetch: noFetch }), UrlFetchError);
});

Deno.test("[url_fetch] blockedReason lets public addresses through and refuses garbage", () => {
  for (
    const a of ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:82a::200e"]
  ) {
    assertEquals(blockedReason(a), null, a);
  }
  assert(blockedReason("not-an-ip"));
  assert(blockedReason("1:2:3:4:5:6:7:8:9"));
  assert(blockedReason("::ffff:8.8.8.8"), "IPv4-mapped is refused even for a public IPv4");
});

Deno.test("[url_fetch] with the test hook a 127.0.0.1 server's PNG comes back, through redirects", async () => {
  const srv = serve((_req, url) => {
    if (url.pathname === "/hop1") return Response.redirect(`${srv.base}/hop2`, 302);
    if (url.pathname === "/hop2") {
      return new Response(null, { status: 307, headers: { location: "/cat.png" } });
    }
    return new Response(PNG_1x1, { headers: { "content-type": "image/png" } });
  });
  try {
    const direct = await fetchImageUrl(`${srv.base}/cat.png`, {
      allowAddressForTests: onlyLoopback,
    });
    assertEquals(direct.bytes, PNG_1x1);
    assertEquals(direct.contentType, "image/png");
    const via = await fetchImageUrl(`${srv.base}/hop1`, { allowAddressForTests: onlyLoopback });
    assertEquals(via.redirects, 2);
    assertEquals(via.finalUrl, `${srv.base}/cat.png`);
    // Without the hook the same server is refused, and it sees no request.
    const before = srv.seen.length;
    const e = await assertRejects(() => fetchImageUrl(`${srv.base}/cat.png`), UrlFetchError);
    assertStringIncludes(e.message, "loopback");
    assertEquals(srv.seen.length, before);
  } finally {
    await srv.close();
  }
});

Deno.test("[url_fetch] a redirect into loopback, metadata or a private network is refused", async () => {
  const srv = serve((_req, url) => {
    const to: Record<string, string> = {
      "/to-metadata": "http://169.254.169.254/latest/meta-data/iam",
      "/to-private": "http://10.0.0.5/admin",
      "/to-v6": "http://[::1]:80/",
      "/to-mapped": "http://[::ffff:127.0.0.1]/",
      "/to-loopback": `${srv.base}/secret.png`,
    };
    if (to[url.pathname]) return Response.redirect(to[url.pathname], 302);
    return new Response(PNG_1x1, { headers: { "content-type": "image/png" } });
  });
  try {
    for (const path of ["/to-metadata", "/to-private", "/to-v6", "/to-mapped", "/to-loopback"]) {
      // The hook admits 127.0.0.1 for the first hop only, so a redirect back to it is refused.
      let allowed = 1;
      const e = await assertRejects(
        () =>
          fetchImageUrl(`${srv.base}${path}`, {
            allowAddressForTests: (a) => onlyLoopback(a) && allowed-- > 0,
          }),
        UrlFetchError,
      );
      assertEquals(e.status, 403, path);
    }
    assert(!srv.seen.includes("/secret.png"), "the redirect target was never requested");
  } finally {
    await srv.close();
  }
});

Deno.test("[url_fetch] more than 3 redirects are refused", async () => {
  const srv = serve((_req, url) => {
    const n = Number(url.pathname.slice(1));
    return Response.redirect(`${srv.base}/${n + 1}`, 302);
  });
  try {
    const e = await assertRejects(
      () => fetchImageUrl(`${srv.base}/0`, { allowAddressForTests: onlyLoopback }),
      UrlFetchError,
    );
    assertStringIncludes(e.message, "more than 3 times");
    assertEquals(srv.seen, ["/0", "/1", "/2", "/3"]);
  } finally {
    await srv.close();
  }
});

Deno.test("[url_fetch] oversized bodies are refused, declared or streamed", async () => {
  const big = new Uint8Array(4096);
  big.set(PNG_1x1);
  const srv = serve((_req, url) => {
    if (url.pathname === "/declared") {
      return new Response(big, { headers: { "content-type": "image/png" } });
    }
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 8; i++) c.enqueue(big.slice(0, 1024));
        c.close();
      },
    });
    return new Response(body, { headers: { "content-type": "image/png" } });
  });
  try {
    for (const path of ["/declared", "/streamed"]) {
      const e = await assertRejects(
        () =>
          fetchImageUrl(`${srv.base}${path}`, {
            maxBytes: 2048,
            allowAddressForTests: onlyLoopback,
          }),
        UrlFetchError,
      );
      assertEquals(e.status, 413, path);
    }
  } finally {
    await srv.close();
  }
});

Deno.test("[url_fetch] non-images are refused: HTML, SVG, and HTML that claims to be a PNG", async () => {
  const srv = serve((_req, url) => {
    if (url.pathname === "/page") {
      return new Response("<html></html>", { headers: { "content-type": "text/html" } });
    }
    if (url.pathname === "/svg") {
      return new Response("<svg/>", { headers: { "content-type": "image/svg+xml" } });
    }
    if (url.pathname === "/none") return new Response(PNG_1x1);
    return new Response("<html>hi</html>", { headers: { "content-type": "image/png" } });
  });
  try {
    for (const path of ["/page", "/svg", "/none", "/liar"]) {
      const e = await assertRejects(
        () => fetchImageUrl(`${srv.base}${path}`, { allowAddressForTests: onlyLoopback }),
        UrlFetchError,
      );
      assertEquals(e.status, 415, path);
    }
  } finally {
    await srv.close();
  }
});

Deno.test("[url_fetch] a server that does not answer in time is a 504", async () => {
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  const srv = serve(async () => {
    await held;
    return new Response(PNG_1x1, { headers: { "content-type": "image/png" } });
  });
  try {
    const t0 = performance.now();
    const e = await assertRejects(
      () =>
        fetchImageUrl(`${srv.base}/slow.png`, {
          timeoutMs: 300,
          allowAddressForTests: onlyLoopback,
        }),
      UrlFetchError,
    );
    assertEquals(e.status, 504);
    assert(performance.now() - t0 < 3000, "gave up near the deadline");
  } finally {
    release();
    await srv.close();
  }
});

Deno.test("[url_fetch] an error status from the image host is a 502 naming it", async () => {
  const srv = serve(() => new Response("gone", { status: 404 }));
  try {
    const e = await assertRejects(
      () => fetchImageUrl(`${srv.base}/x.png`, { allowAddressForTests: onlyLoopback }),
      UrlFetchError,
    );
    assertEquals(e.status, 502);
    assertStringIncludes(e.message, "answered 404");
  } finally {
    await srv.close();
  }
});
