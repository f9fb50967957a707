// @vitest-environment happy-dom
// What a failure says: a sync failure whose detail starts with a code word the sync panel knows
// is said in the user's language (the words after the code are the library's, in English), so
// a facilitator who reads Hindi is told what to do next in Hindi.
import { describe, expect, it } from "vitest";
import { catalogues, setLanguage } from "../i18n";
import { errorPanel, errorText } from "./errorPanel";

const reply = (detail: string) => ({ code: "sync" as const, detail, detail_hi: null, fields: [], count: null });

describe("errorText", () => {
  it("says a restored block's old answer in the language chosen, with what to do", () => {
    const said = errorText(reply("answer_before_block_restore: this answer from the block was written before …"));
    expect(said).toBe(catalogues.hi.syncError_answer_before_block_restore);
    expect(said).toContain("सिंक फ़ाइल");
    expect(errorText(reply("answer_before_restore: …"))).toBe(catalogues.hi.syncError_answer_before_restore);
    expect(errorText(reply("answer_past_read: this answer from the block starts after …"))).toBe(catalogues.hi.syncError_answer_past_read);
    const renumbered = errorText(reply("answer_renumbered: this answer from the block numbers its changes otherwise …"));
    expect(renumbered).toBe(catalogues.hi.syncError_answer_renumbered);
    expect(renumbered).toContain("सिंक फ़ाइल");
  });

  it("says an enrollment intercepted as such, not as a pinned certificate changed", () => {
    const said = errorText(reply("intercepted: the server that answered does not hold this enrollment code: …"));
    expect(said).toBe(catalogues.hi.syncError_intercepted);
    expect(said).not.toBe(catalogues.hi.syncError_certificate);
    expect(catalogues.en.syncError_intercepted).toContain("do not enroll over this network");
  });

  it("says a sync file that could not be written as a place to look at, not as a wrong answer file", () => {
    const said = errorText(reply("file_write: cannot write /media/usb/laptop.samanvaya-sync: No space left on device"));
    expect(said).toBe(catalogues.hi.syncError_file_write);
    expect(said).not.toBe(catalogues.hi.syncError_file);
    expect(catalogues.en.syncError_file_write).toContain("could not be written");
  });

  it("says why the block's answer was refused, each with what to do, not as a stick to look at", () => {
    const cases = [
      ["file_other_laptop: the file was written for another laptop; …", catalogues.hi.syncError_file_other_laptop],
      ["file_version: this file was written by a newer version of the block's server …", catalogues.hi.syncError_file_version],
      ["file_damaged: the file was changed or damaged after the block wrote it …", catalogues.hi.syncError_file_damaged],
    ] as const;
    for (const [detail, sentence] of cases) {
      expect(errorText(reply(detail))).toBe(sentence);
      expect(sentence).not.toBe(catalogues.hi.syncError_file);
    }
    expect(catalogues.en.syncError_file_damaged).toContain("write it again");
  });

  it("tells a copy of the laptop from before its restore to go on with the restored copy", () => {
    const said = errorText(reply("restored_elsewhere: this copy of the laptop is from before …"));
    expect(said).toBe(catalogues.hi.syncError_restored_elsewhere);
    expect(said).toContain("वापस लाई गई प्रति");
    // Handed the restored copy's answer, it is asked to find out which copy the block keeps.
    const answer = errorText(reply("answer_for_restored_copy: this answer from the block is for a copy …"));
    expect(answer).toBe(catalogues.hi.syncError_answer_for_restored_copy);
    expect(answer).toContain("किस प्रति");
  });

  it("keeps the general sentence, with the detail, for a code it has no sentence for", () => {
    expect(errorText(reply("something new: the detail"))).toBe(
      catalogues.hi.error_sync.replace("{detail}", "something new: the detail"),
    );
  });

  it("says a list's refusal in Hindi where the store gave it in Hindi, and in English in English", () => {
    const refused = {
      code: "list_refused" as const,
      detail: "the list cannot be imported; nothing was written:\n  the mapping names the column 'Tola' for the hamlet, but …",
      detail_hi: "मैपिंग फ़ाइल में टोले के लिए कॉलम 'Tola' लिखा है, पर …",
      fields: [],
      count: null,
    };
    expect(errorText(refused)).toBe(catalogues.hi.error_list_refused.replace("{detail}", refused.detail_hi));
    setLanguage("en");
    try {
      expect(errorText(refused)).toBe(catalogues.en.error_list_refused.replace("{detail}", refused.detail));
    } finally {
      setLanguage("hi");
    }
    // Without a Hindi detail, the English one is shown rather than nothing.
    expect(errorText({ ...refused, detail_hi: null })).toContain("Tola");
  });

  it("folds the store's English under the technical detail only where the sentence has not said it", () => {
    const storage = { code: "storage" as const, detail: "database or disk is full", detail_hi: null, fields: [], count: null };
    const plain = errorPanel(storage);
    expect(plain.querySelector("p")?.textContent).toContain("database or disk is full");
    expect(plain.querySelector("details")).toBeNull();
    const open = { code: "already_referred" as const, detail: "this person already has an open referral for it (D-5); open that one instead", detail_hi: "खुला रेफ़रल: D-5", fields: [], count: null };
    const folded = errorPanel(open);
    expect(folded.querySelector("p")?.textContent).toContain("खुला रेफ़रल: D-5");
    expect(folded.querySelector("details code")?.textContent).toBe(open.detail);
  });
});
