// Typed calls into the desktop shell. The payload types are generated from Rust (src/bindings).
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { ErrorReply } from "./bindings/ErrorReply";
import type { FactAnswer } from "./bindings/FactAnswer";
import type { HouseholdEligibility } from "./bindings/HouseholdEligibility";
import type { VillageEligibility } from "./bindings/VillageEligibility";
import type { Household } from "./bindings/Household";
import type { HouseholdInput } from "./bindings/HouseholdInput";
import type { HouseholdPage } from "./bindings/HouseholdPage";
import type { HouseholdQuery } from "./bindings/HouseholdQuery";
import type { Language } from "./bindings/Language";
import type { VillageOverview } from "./bindings/VillageOverview";
import type { Worklist } from "./bindings/Worklist";

export const ipc = {
  villageOverview: () => invoke<VillageOverview>("village_overview"),
  listHouseholds: (query: HouseholdQuery) => invoke<HouseholdPage>("list_households", { query }),
  getHousehold: (id: string) => invoke<Household>("get_household", { id }),
  saveHousehold: (input: HouseholdInput) => invoke<Household>("save_household", { input }),
  checkHousehold: (input: HouseholdInput) => invoke<null>("check_household", { input }),
  getLanguage: () => invoke<Language>("get_language"),
  setLanguage: (language: Language) => invoke<null>("set_language", { language }),
  householdEligibility: (id: string) => invoke<HouseholdEligibility>("household_eligibility", { id }),
  answerFact: (answer: FactAnswer) => invoke<HouseholdEligibility>("answer_fact", { answer }),
  villageEligibility: () => invoke<VillageEligibility>("village_eligibility"),
  schemeWorklist: (code: string) => invoke<Worklist>("scheme_worklist", { code }),
  /** Saves the worklist as CSV in the export folder; resolves to the file's path. */
  saveWorklist: (code: string, hamlet: string | null, language: Language) =>
    invoke<string>("save_worklist", { code, hamlet, language }),
  /** The centre's calendar day (YYYY-MM-DD), the day the store decides and ages are counted on. */
  today: () => invoke<string>("today"),
};

/** How far a village tally has read the store's households. */
export interface VillageProgress {
  done: number;
  total: number;
}

/**
 * Calls `onProgress` while a village tally runs; returns the function that stops listening.
 * Progress is only a courtesy: when the shell cannot deliver it, the tally still arrives.
 */
export async function onVillageProgress(onProgress: (p: VillageProgress) => void): Promise<() => void> {
  try {
    return await listen<VillageProgress>("village-progress", (e) => onProgress(e.payload));
  } catch {
    return () => {};
  }
}

/** Whatever a command rejected with, as the one error shape the shell sends. */
export function asErrorReply(e: unknown): ErrorReply {
  if (typeof e === "object" && e !== null && "code" in e && "detail" in e) {
    return e as ErrorReply;
  }
  return { code: "storage", detail: String(e), fields: [] };
}
