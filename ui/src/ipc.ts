// Typed calls into the desktop shell. The payload types are generated from Rust (src/bindings).
import { invoke } from "@tauri-apps/api/core";
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

export const ipc = {
  villageOverview: () => invoke<VillageOverview>("village_overview"),
  listHouseholds: (query: HouseholdQuery) => invoke<HouseholdPage>("list_households", { query }),
  getHousehold: (id: string) => invoke<Household>("get_household", { id }),
  saveHousehold: (input: HouseholdInput) => invoke<Household>("save_household", { input }),
  getLanguage: () => invoke<Language>("get_language"),
  setLanguage: (language: Language) => invoke<null>("set_language", { language }),
  householdEligibility: (id: string) => invoke<HouseholdEligibility>("household_eligibility", { id }),
  answerFact: (answer: FactAnswer) => invoke<HouseholdEligibility>("answer_fact", { answer }),
  villageEligibility: () => invoke<VillageEligibility>("village_eligibility"),
};

/** Whatever a command rejected with, as the one error shape the shell sends. */
export function asErrorReply(e: unknown): ErrorReply {
  if (typeof e === "object" && e !== null && "code" in e && "detail" in e) {
    return e as ErrorReply;
  }
  return { code: "storage", detail: String(e), fields: [] };
}
