import { describe, expect, it } from "vitest";
import { renderKey } from "./s3-upload";
import { objectUrl, reportedUrl, xmlField } from "./s3-client";

describe("renderKey", () => {
  it("fills the default template and drops the slash an empty prefix would leave", () => {
    const v = {
      prefix: "xpkit/vcc",
      timestamp: "1700000000.123000",
      file_name: "a.mp4",
      task_id: "t",
      configuration: "c",
    };
    expect(renderKey("{prefix}/{timestamp}_{file_name}", v)).toBe("xpkit/vcc/1700000000.123000_a.mp4");
    expect(renderKey("{prefix}/{timestamp}_{file_name}", { ...v, prefix: "" })).toBe("1700000000.123000_a.mp4");
    expect(renderKey("{prefix}//{configuration}/{file_name}", v)).toBe("xpkit/vcc/c/a.mp4");
  });

  it("leaves unknown placeholders as written, so a typo is visible in the key", () => {
    expect(renderKey("{nope}/{file_name}", { file_name: "a" })).toBe("{nope}/a");
  });
});

describe("objectUrl", () => {
  it("is path-style for custom endpoints and virtual-hosted for AWS", () => {
    expect(objectUrl({ endpoint: "http://127.0.0.1:9000/", bucket: "b", region: "x" }, "p/a b.txt")).toBe(
      "http://127.0.0.1:9000/b/p/a%20b.txt",
    );
    expect(objectUrl({ bucket: "b", region: "eu-west-1" }, "k")).toBe("https://b.s3.eu-west-1.amazonaws.com/k");
  });

  it("puts the bucket in the host name when addressing is virtual (OSS), keeping the endpoint's port and path", () => {
    expect(
      objectUrl(
        {
          endpoint: "https://oss-cn-hangzhou.aliyuncs.com",
          addressing: "virtual",
          bucket: "media",
          region: "cn-hangzhou",
        },
        "a/b.mp4",
      ),
    ).toBe("https://media.oss-cn-hangzhou.aliyuncs.com/a/b.mp4");
    expect(
      objectUrl({ endpoint: "http://minio.test:9000/s3/", addressing: "virtual", bucket: "b", region: "x" }, "k"),
    ).toBe("http://b.minio.test:9000/s3/k");
    expect(
      objectUrl({ endpoint: "http://minio.test:9000/s3/", addressing: "path", bucket: "b", region: "x" }, "k"),
    ).toBe("http://minio.test:9000/s3/b/k");
  });

  it("is reported as VCC reports it: https://s3.amazonaws.com/<bucket>/<key> for AWS", () => {
    expect(reportedUrl({ bucket: "b", region: "eu-west-1" }, "xpkit/1596681918.091376_a b.png")).toBe(
      "https://s3.amazonaws.com/b/xpkit/1596681918.091376_a%20b.png",
    );
    expect(reportedUrl({ endpoint: "https://acc.r2.cloudflarestorage.com", bucket: "b", region: "auto" }, "k")).toBe(
      "https://acc.r2.cloudflarestorage.com/b/k",
    );
  });
});

describe("xmlField", () => {
  it("reads S3 error fields and unescapes entities", () => {
    const xml = "<Error><Code>InvalidAccessKeyId</Code><Message>The key &quot;X&quot; &amp; more</Message></Error>";
    expect(xmlField(xml, "Code")).toBe("InvalidAccessKeyId");
    expect(xmlField(xml, "Message")).toBe('The key "X" & more');
    expect(xmlField(xml, "UploadId")).toBeUndefined();
  });
});
