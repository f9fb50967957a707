// The sizes the backup panel says in words: a stick's free space and the room a backup needs.
import { describe, expect, it } from "vitest";
import { sizeWords } from "./backupPanel";

describe("sizeWords", () => {
  it("says gigabytes with one decimal, larger megabytes whole, small ones with one decimal", () => {
    expect(sizeWords(3.2 * 1024 ** 3)).toBe("3.2 GB");
    expect(sizeWords(850 * 1024 ** 2)).toBe("850 MB");
    expect(sizeWords(2.41 * 1024 ** 2)).toBe("2.5 MB");
    // A tiny backup is never "0 MB": it takes room all the same.
    expect(sizeWords(3000)).toBe("0.1 MB");
  });
});
