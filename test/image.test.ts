import pixelmatch from "pixelmatch";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  api,
  apiJson,
  file,
  jsonInit,
  newClient,
  putConfiguration,
  submit,
  waitForEnd,
  type TestClient,
} from "./support/api";
import { decodePng, encodePng, pixel, solid, type Image } from "./support/png";

let c: TestClient;

const TEXT_BOX = { x: 10, y: 60, w: 180, h: 36 };

const composeParams = {
  width: 200,
  height: 100,
  background: "#ffffff",
  layers: [
    { type: "image", file_name: "logo.png", x: 10, y: 10, width: 40, height: 40 },
    { type: "image", file_name: "green.png", x: 100, y: 10, width: 20, height: 20, opacity: 0.5 },
    { type: "image", input: true, x: 150, y: 60, width: 40, height: 30 },
    {
      type: "text",
      text: "Code: {{additional_context.voucher_code}}",
      x: TEXT_BOX.x,
      y: TEXT_BOX.y,
      size: 24,
      color: "#000000",
      width: TEXT_BOX.w,
    },
  ],
};

async function putAsset(name: string, bytes: Uint8Array) {
  expect(
    (
      await api(`/api/assets/${name}`, {
        method: "PUT",
        headers: { ...c.auth, "content-type": "image/png" },
        body: bytes,
      })
    ).status,
  ).toBe(201);
}

async function compose(extras: Record<string, unknown>, input: Uint8Array, configuration = "compose") {
  const form = new FormData();
  form.set("configuration_names", JSON.stringify([configuration]));
  form.set(`${configuration}_data`, file(input, "photo.png", "image/png"));
  form.set(`${configuration}_extras`, JSON.stringify(extras));
  const { status, body } = await submit(c, form);
  expect(status, JSON.stringify(body)).toBe(202);
  return waitForEnd(c, body.task_id);
}

async function output(done: any, step = 0): Promise<Image> {
  const res = await api(done.steps[step].output.url.replace("https://cascade.test", ""), { headers: c.auth });
  expect(res.headers.get("content-type")).toBe("image/png");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  return decodePng(await res.arrayBuffer());
}

const near = (actual: number[], expected: number[], tolerance: number) =>
  actual.every((v, i) => Math.abs(v - expected[i]!) <= tolerance);

const dark = (img: Image, x: number, y: number) => Math.max(...pixel(img, x, y).slice(0, 3)) < 100;

function countDark(img: Image, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (dark(img, x, y)) n++;
  return n;
}

let bluePhoto: Uint8Array;

beforeAll(async () => {
  c = await newClient("img");
  await putAsset("logo.png", await encodePng(solid(20, 20, [255, 0, 0, 255])));
  await putAsset("green.png", await encodePng(solid(10, 10, [0, 255, 0, 255])));
  await putConfiguration(c, "compose", { adapter: "image-compositor", params: composeParams });
  bluePhoto = await encodePng(solid(64, 48, [0, 0, 255, 255]));
});

describe("image-compositor: pixels of the composed output", () => {
  it("places the background, resized and translucent image layers, the input and the text", async () => {
    const done = await compose({ additional_context: { voucher_code: "AB12" } }, bluePhoto);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    const result = done.results[0].result[0];
    expect(result).toMatchObject({
      success: true,
      output: { file_name: "photo.png", content_type: "image/png" },
      width: 200,
      height: 100,
    });
    expect(Object.keys(result.timings_ms).sort()).toEqual(["blend", "decode", "encode", "resize", "text"]);
    const img = await output(done);
    expect([img.width, img.height]).toEqual([200, 100]);
    expect(pixel(img, 0, 0)).toEqual([255, 255, 255, 255]);
    expect(pixel(img, 199, 0)).toEqual([255, 255, 255, 255]);
    expect(near(pixel(img, 30, 30), [255, 0, 0, 255], 2)).toBe(true); // 20 px logo upscaled to 40 px
    expect(pixel(img, 55, 30)).toEqual([255, 255, 255, 255]); // just right of the logo
    expect(near(pixel(img, 110, 20), [128, 255, 128, 255], 3)).toBe(true); // 50 % green over white
    expect(near(pixel(img, 170, 75), [0, 0, 255, 255], 2)).toBe(true); // the input, drawn where its layer says
    expect(countDark(img, TEXT_BOX.x, TEXT_BOX.y, TEXT_BOX.x + 140, TEXT_BOX.y + TEXT_BOX.h)).toBeGreaterThan(150);
    expect(countDark(img, 0, 0, 200, TEXT_BOX.y - 1)).toBe(0);

    // Against the reviewed golden image (test/fixtures): anti-aliasing may move, the picture may not.
    const fixture = `${inject("receiverUrl")}/fixtures/compose-golden.png`;
    await fetch(fixture, { method: "PUT", body: await encodePng(img) }); // writes only under UPDATE_GOLDEN=1
    const golden = await fetch(fixture);
    expect(golden.status, "the golden image is missing").toBe(200);
    const ref = await decodePng(await golden.arrayBuffer());
    const differing = pixelmatch(img.data, ref.data, undefined, 200, 100, { threshold: 0.1 });
    expect(differing).toBeLessThan(200 * 100 * 0.005);
  });

  it("templating: two voucher codes give images that differ inside the text box only", async () => {
    const a = await output(await compose({ additional_context: { voucher_code: "AB12" } }, bluePhoto));
    const b = await output(await compose({ additional_context: { voucher_code: "ZZ99" } }, bluePhoto));
    let inside = 0;
    let outside = 0;
    for (let y = 0; y < 100; y++) {
      for (let x = 0; x < 200; x++) {
        if (pixel(a, x, y).join() === pixel(b, x, y).join()) continue;
        const inBox = x >= TEXT_BOX.x && x < TEXT_BOX.x + TEXT_BOX.w && y >= TEXT_BOX.y && y < TEXT_BOX.y + TEXT_BOX.h;
        if (inBox) inside++;
        else outside++;
      }
    }
    expect(inside).toBeGreaterThan(50);
    expect(outside).toBe(0);
  });

  it("writes JPEG when asked, with the quality given", async () => {
    await putConfiguration(c, "compose-jpeg", {
      adapter: "image-compositor",
      params: { width: 32, height: 32, background: "#336699", format: "jpeg", quality: 90 },
    });
    const done = await compose({}, bluePhoto, "compose-jpeg");
    expect(done.results[0].result[0].output).toMatchObject({ file_name: "photo.jpg", content_type: "image/jpeg" });
    const res = await api(done.steps[0].output.url.replace("https://cascade.test", ""), { headers: c.auth });
    expect([...new Uint8Array(await res.arrayBuffer()).slice(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  });
});

describe("{param}_override", () => {
  it("feeds step 1's composed image to step 2 in place of an asset", async () => {
    await putAsset("placeholder.png", await encodePng(solid(8, 8, [0, 255, 0, 255])));
    await putConfiguration(c, "voucher", { adapter: "image-compositor", params: { width: 100, height: 50 } });
    await putConfiguration(c, "poster", {
      adapter: "image-compositor",
      params: {
        width: 60,
        height: 60,
        background_file_name: "placeholder.png",
        layers: [{ type: "image", input: true, x: 0, y: 0, width: 10, height: 10 }],
      },
    });
    const form = new FormData();
    form.set("configuration_names", JSON.stringify(["voucher", "poster"]));
    form.set("voucher_data", file(await encodePng(solid(30, 30, [255, 0, 0, 255])), "red.png", "image/png"));
    form.set("poster_data", file(bluePhoto, "small.png", "image/png"));
    form.set("poster_extras", JSON.stringify({ background_file_name_override: "voucher" }));
    const { body } = await submit(c, form);
    const done = await waitForEnd(c, body.task_id);
    expect(done.status, JSON.stringify(done.results)).toBe("Succeeded");
    const img = await output(done, 1);
    expect(pixel(img, 40, 40)).toEqual([255, 0, 0, 255]); // step 1's red, not the placeholder's green
    expect(pixel(img, 5, 5)).toEqual([0, 0, 255, 255]); // step 2's own input
  });
});

describe("image-compositor: bad input fails clearly", () => {
  async function failed(configuration: string, input: Uint8Array, extras: Record<string, unknown> = {}) {
    const done = await compose(extras, input, configuration);
    expect(done.status).toBe("Failed");
    expect(done.steps[0].attempts).toBe(1);
    return done.results[0].result as string;
  }

  it("a text file sent as PNG", async () => {
    await putConfiguration(c, "plain", { adapter: "image-compositor", params: {} });
    expect(await failed("plain", new TextEncoder().encode("hello, I am not a picture"))).toBe(
      "photo.png is not a PNG or JPEG image.",
    );
  });

  it("a truncated PNG", async () => {
    await putConfiguration(c, "plain", { adapter: "image-compositor", params: {} });
    const big = await encodePng(solid(64, 64, [10, 20, 30, 255], [200, 100, 50, 255]));
    expect(await failed("plain", big.slice(0, 60))).toMatch(
      /^photo\.png could not be decoded \(.+\); is it truncated or corrupt\?$/,
    );
  });

  it("an input over the pixel limit, refused from its header", async () => {
    await putConfiguration(c, "plain", { adapter: "image-compositor", params: {} });
    const header = (await encodePng(solid(2, 2, [0, 0, 0, 255]))).slice();
    new DataView(header.buffer).setUint32(16, 5000);
    new DataView(header.buffer).setUint32(20, 4000);
    expect(await failed("plain", header)).toBe("photo.png is 5000×4000, over the 16 megapixel limit.");
  });

  it("a missing template key", async () => {
    const message = await failed("compose", bluePhoto, { additional_context: { other: 1 } });
    expect(message).toBe("The text template uses {{additional_context.voucher_code}}, which the extras do not define.");
  });

  it("sizes computed at run time are capped like inputs: a layer scaled up, a text box", async () => {
    // A 20×20 logo at width 16384 keeps its aspect: 16384×16384, which once allocated 1 GiB.
    await putConfiguration(c, "layer-up", {
      adapter: "image-compositor",
      params: { layers: [{ type: "image", file_name: "logo.png", width: 16384 }] },
    });
    expect(await failed("layer-up", bluePhoto)).toBe("layers[0] is 16384×16384, over the 16 megapixel limit.");
    await putConfiguration(c, "text-wide", {
      adapter: "image-compositor",
      params: { layers: [{ type: "text", text: "W".repeat(2000), size: 1000 }] },
    });
    expect(await failed("text-wide", bluePhoto)).toMatch(/^layers\[0\] is \d+×\d+, over the 16 megapixel limit\.$/);
  });

  it("'.' and '..' are not output file names", async () => {
    for (const output_file_name of [".", ".."]) {
      const put = await apiJson(
        "/api/configurations/dots",
        jsonInit("PUT", { adapter: "image-compositor", params: { output_file_name } }, c.auth),
      );
      expect(put.status).toBe(400);
      expect(put.body.error.message).toMatch(/'\.' and '\.\.' are not file names/);
    }
  });

  it("a 20000×20000 canvas is refused when the configuration is stored, and in extras", async () => {
    const put = await apiJson(
      "/api/configurations/huge",
      jsonInit("PUT", { adapter: "image-compositor", params: { width: 20000, height: 20000 } }, c.auth),
    );
    expect(put.status).toBe(400);
    const over = await apiJson(
      "/api/configurations/huge",
      jsonInit("PUT", { adapter: "image-compositor", params: { width: 16000, height: 16000 } }, c.auth),
    );
    expect([over.status, over.body.error.code]).toEqual([400, "invalid_params"]);
    expect(over.body.error.message).toContain("16 megapixels");
    const form = new FormData();
    form.set("configuration_names", '["compose"]');
    form.set("compose_data", file(bluePhoto, "p.png"));
    form.set("compose_extras", JSON.stringify({ width: 16000, height: 16000 }));
    const res = await submit(c, form);
    expect([res.status, res.body.error.code]).toEqual([400, "invalid_params"]);
  });

  it("a layer asset that does not exist is a 422 at trigger time", async () => {
    await putConfiguration(c, "missing-layer", {
      adapter: "image-compositor",
      params: { layers: [{ type: "image", file_name: "nope.png" }] },
    });
    const form = new FormData();
    form.set("configuration_names", '["missing-layer"]');
    form.set("missing-layer_data", file(bluePhoto, "p.png"));
    const res = await submit(c, form);
    expect([res.status, res.body.error.code]).toEqual([422, "asset_not_found"]);
    expect(res.body.error.message).toContain("nope.png");
  });

  it("bad layer params are refused at PUT", async () => {
    for (const layers of [
      [{ type: "image" }],
      [{ type: "image", file_name: "a.png", input: true }],
      [{ type: "text", text: "x", color: "red" }],
      [{ type: "video" }],
    ]) {
      const res = await apiJson(
        "/api/configurations/bad-layers",
        jsonInit("PUT", { adapter: "image-compositor", params: { layers } }, c.auth),
      );
      expect(res.status, JSON.stringify(layers)).toBe(400);
    }
  });
});
