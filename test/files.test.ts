import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { filesOf, r2Keys } from "../src/lib/files";

describe("ClientFiles: one client's R2 files", () => {
  it("reads, lists and deletes its own keys, and refuses every other client's", async () => {
    await env.FILES.put(r2Keys.asset("files-b", "secret.txt"), "b's bytes");
    const a = filesOf(env, "files-a");
    await a.put(r2Keys.asset("files-a", "mine.txt"), "a's bytes", "text/plain");
    await a.putStream(r2Keys.output("files-a", "g1", "s", "out.txt"), new Blob(["out"]).stream(), "text/plain");

    expect(await (await a.get(r2Keys.asset("files-a", "mine.txt")))!.text()).toBe("a's bytes");
    expect(await a.usage()).toEqual({ objects: 2, bytes: 12, complete: true });

    const other = r2Keys.asset("files-b", "secret.txt");
    // A prefix that only starts like the client's name is someone else's too.
    const lookalike = r2Keys.asset("files-ab", "x");
    for (const key of [other, lookalike, "clients/files-a", "bench/x"]) {
      expect(() => a.get(key)).toThrow(/outside client files-a/);
      expect(() => a.head(key)).toThrow(/outside client files-a/);
      await expect(a.delete([r2Keys.asset("files-a", "mine.txt"), key])).rejects.toThrow(/outside client/);
      await expect(a.deletePrefix(key)).rejects.toThrow(/outside client/);
    }
    // The refused batch deleted nothing, and b's file is untouched.
    expect(await a.head(r2Keys.asset("files-a", "mine.txt"))).not.toBeNull();
    expect(await (await env.FILES.get(other))!.text()).toBe("b's bytes");

    await a.deletePrefix(r2Keys.taskgroup("files-a", "g1"));
    expect(await a.usage()).toEqual({ objects: 1, bytes: 9, complete: true });
  });
});
