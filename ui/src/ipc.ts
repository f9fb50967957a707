// Typed calls into the desktop shell. The payload types are generated from Rust (src/bindings).
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { SurveyFinished } from "./bindings/SurveyFinished";
import type { BackupDone } from "./bindings/BackupDone";
import type { BackupPlaces } from "./bindings/BackupPlaces";
import type { BackupProgress } from "./bindings/BackupProgress";
import type { OpenProgress } from "./bindings/OpenProgress";
import type { ErrorReply } from "./bindings/ErrorReply";
import type { FoundBackup } from "./bindings/FoundBackup";
import type { SyncStatus } from "./bindings/SyncStatus";
import type { FactAnswer } from "./bindings/FactAnswer";
import type { Folder } from "./bindings/Folder";
import type { HouseholdEligibility } from "./bindings/HouseholdEligibility";
import type { VillageEligibility } from "./bindings/VillageEligibility";
import type { Household } from "./bindings/Household";
import type { HouseholdInput } from "./bindings/HouseholdInput";
import type { HouseholdPage } from "./bindings/HouseholdPage";
import type { Duplicate } from "./bindings/Duplicate";
import type { HouseholdQuery } from "./bindings/HouseholdQuery";
import type { Language } from "./bindings/Language";
import type { VillageOverview } from "./bindings/VillageOverview";
import type { HouseholdProfile } from "./bindings/HouseholdProfile";
import type { Role } from "./bindings/Role";
import type { VulnerabilityList } from "./bindings/VulnerabilityList";
import type { Accounts } from "./views/account";
import type { Worklist } from "./bindings/Worklist";
import type { SurveyAnswers } from "./bindings/SurveyAnswers";
import type { SurveyForm } from "./bindings/SurveyForm";
import type { SurveyState } from "./bindings/SurveyState";
import type { NewReferral } from "./bindings/NewReferral";
import type { ReferralDetail } from "./bindings/ReferralDetail";
import type { ReferralFunnel } from "./bindings/ReferralFunnel";
import type { ReferralKinds } from "./bindings/ReferralKinds";
import type { ReferralFilter } from "./bindings/ReferralFilter";
import type { ReferralPage } from "./bindings/ReferralPage";
import type { ReferralQuery } from "./bindings/ReferralQuery";
import type { SheetFormat } from "./bindings/SheetFormat";
import type { Drive } from "./bindings/Drive";
import type { FoundFile } from "./bindings/FoundFile";
import type { ImportFiles } from "./bindings/ImportFiles";
import type { ListReport } from "./bindings/ListReport";
import type { MemberMerged } from "./bindings/MemberMerged";
import type { ReferralSummary } from "./bindings/ReferralSummary";
import type { Step } from "./bindings/Step";
import type { Todo } from "./bindings/Todo";
import type { Withdrawal } from "./bindings/Withdrawal";

/** The event the window hears when a command was refused because the app is locked. */
export const LOCKED_EVENT = "samanvaya-locked";

/** Calls a command; a refusal because the app is locked also tells the window to show the lock. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    if (asErrorReply(e).code === "locked") window.dispatchEvent(new Event(LOCKED_EVENT));
    throw e;
  }
}

/** What the window learns when the store opens. */
export interface Session {
  idle_lock_seconds: number;
  /** Only right after set-up: shown once, never again. */
  recovery_code: string | null;
  /** False for an account that may only read (the Samiti's). */
  may_write: boolean;
  /** True for a supervisor, who may remove a saved member. */
  may_delete: boolean;
}

/** A household's survey in progress: the answers as typed, and the logic's verdict on them. */
export interface SurveyDraft {
  household_id: string;
  answers: SurveyAnswers;
  state: SurveyState;
}

/** A finished survey, as the household's history lists it. */
export interface SurveyRecord {
  id: string;
  form_id: string;
  form_version: string;
  /** Null for a form that asks no consent. */
  consent: boolean | null;
  submitted_by: string;
  submitted_at: string;
  /** The submission this one replaced, if it was a later survey of the household. */
  supersedes: string | null;
  answers: SurveyAnswers;
}

export const ipc = {
  folderState: () => call<Folder>("folder_state"),
  /** `demo`: start with the demo village; else wait, empty, for the block office's village. */
  setUp: (name: string, secret: string, demo: boolean) => call<Session>("set_up", { name, secret, demo }),
  unlock: (account: string | null, secret: string) => call<Session>("unlock", { account, secret }),
  recover: (account: string | null, code: string, secret: string) =>
    call<Session>("recover", { account, code, secret }),
  lock: () => call<null>("lock"),
  villageOverview: () => call<VillageOverview>("village_overview"),
  listHouseholds: (query: HouseholdQuery) => call<HouseholdPage>("list_households", { query }),
  getHousehold: (id: string) => call<Household>("get_household", { id }),
  saveHousehold: (input: HouseholdInput) => call<Household>("save_household", { input }),
  checkHousehold: (input: HouseholdInput) => call<null>("check_household", { input }),
  /** Members already recorded in the village who may be the new household's. */
  householdDuplicates: (input: HouseholdInput) => call<Duplicate[]>("household_duplicates", { input }),
  /** A member (`person`), or the whole household when `person` is null, withdrew consent:
   * what was recorded of them is erased, and the withdrawal waits to be sent to the block. */
  withdrawConsent: (household: string, person: string | null) =>
    call<Withdrawal>("withdraw_consent", { household, person }),
  /** `duplicate` is a second record of the member `keep`: a supervisor makes them one. */
  mergeMember: (household: string, keep: string, duplicate: string) =>
    call<MemberMerged>("merge_member", { household, keep, duplicate }),
  /** Member `respondent` agreed, for the family, to what is recorded of it. */
  recordConsent: (household: string, respondent: string) =>
    call<Household>("record_consent", { household, respondent }),
  getLanguage: () => call<Language>("get_language"),
  setLanguage: (language: Language) => call<null>("set_language", { language }),
  householdEligibility: (id: string) => call<HouseholdEligibility>("household_eligibility", { id }),
  answerFact: (answer: FactAnswer) => call<HouseholdEligibility>("answer_fact", { answer }),
  villageEligibility: () => call<VillageEligibility>("village_eligibility"),
  schemeWorklist: (code: string) => call<Worklist>("scheme_worklist", { code }),
  /** The form household `id`'s survey is on (its draft's, or the one a new survey starts on). */
  surveyForm: (id: string | null) => call<SurveyForm>("survey_form", { id }),
  /** What is known of a household and each member, in words. */
  householdProfile: (id: string) => call<HouseholdProfile>("household_profile", { id }),
  /** The form a submission names, to read it back with its own labels. */
  surveyFormNamed: (formId: string, version: string) => call<SurveyForm>("survey_form_named", { formId, version }),
  /** The household's finished surveys, newest first. */
  surveyHistory: (id: string) => call<SurveyRecord[]>("survey_history", { id }),
  surveyStart: (id: string) => call<SurveyDraft>("survey_start", { id }),
  surveySave: (id: string, answers: SurveyAnswers) => call<SurveyDraft>("survey_save", { id, answers }),
  surveyFinish: (id: string) => call<SurveyFinished>("survey_finish", { id }),
  surveyDiscard: (id: string) => call<null>("survey_discard", { id }),
  referralKinds: () => call<ReferralKinds>("referral_kinds"),
  referralOpen: (referral: NewReferral) => call<ReferralDetail>("referral_open", { referral }),
  /** Opens every referral of the list in one transaction; resolves to how many were opened. */
  referralOpenAll: (referrals: NewReferral[]) => call<number>("referral_open_all", { referrals }),
  referralAct: (id: string, step: Step) => call<ReferralDetail>("referral_act", { id, step }),
  referralGet: (id: string) => call<ReferralDetail>("referral_get", { id }),
  referralsList: (query: ReferralQuery) => call<ReferralSummary[]>("referrals_list", { query }),
  referralTodo: () => call<Todo>("referral_todo"),
  syncStatus: () => call<SyncStatus>("sync_status"),
  /** One sync with the block server; resolves to where sync stands after it. */
  syncNow: () => call<SyncStatus>("sync_now"),
  /** The USB sticks plugged in now, for the sync file to be written onto one of them. */
  syncDrives: () => call<Drive[]>("sync_drives"),
  /** What waits, as a file for the block office, on the stick mounted at `drive` (one of
   * `syncDrives`), or in the export folder when `drive` is null. */
  syncExport: (drive: string | null) =>
    call<{ path: string; file_name: string; drive: string | null; changes: number; held_back: number; carried_again: number }>("sync_export", { drive }),
  /** The block's answers (`*.samanvaya-feed`) found on the USB sticks and in Downloads. */
  syncFeedFiles: () => call<FoundFile[]>("sync_feed_files"),
  /** Applies one of them; the status after it and how many of its changes were new here. */
  syncImportFeed: (path: string) => call<[SyncStatus, number]>("sync_import_feed", { path }),
  syncEnroll: (url: string, code: string) => call<SyncStatus>("sync_enroll", { url, code }),
  syncEnrollAgain: (code: string) => call<SyncStatus>("sync_enroll_again", { code }),
  /** Puts the practice village aside beside the data folder; resolves to where it went. */
  putPracticeAside: () => call<string>("put_practice_aside"),
  referralFunnel: () => call<ReferralFunnel>("referral_funnel"),
  /** The slip's style and body, in `lang`, to draw and print inside the window. */
  referralSlip: (id: string, lang: Language) => call<{ style: string; body: string }>("referral_slip", { id, lang }),
  /** Saves the village funnel as CSV or XLSX in the export folder; resolves to the file's path. */
  saveFunnel: (format: SheetFormat, language: Language) => call<string>("save_funnel", { format, language }),
  /** The household register (households, members, facts) saved in the export folder. */
  saveRegister: (format: SheetFormat, language: Language) => call<string>("save_register", { format, language }),
  /** One page of the village's cases that pass `filter`, with how many pass it in all. */
  referralPage: (filter: ReferralFilter) => call<ReferralPage>("referral_page", { filter }),
  /** Opens the system's print window for the page as it is drawn (it also saves a PDF). */
  printPage: () => call<void>("print_page"),
  /** Saves the worklist as CSV in the export folder; resolves to the file's path. */
  saveWorklist: (code: string, hamlet: string | null, language: Language) =>
    call<string>("save_worklist", { code, hamlet, language }),
  /** Who is working, and every account of the laptop with its role. */
  accounts: () => call<Accounts>("accounts"),
  /** Gives the account at work a new PIN after checking the current one. */
  changePin: (old: string, next: string) => call<void>("change_pin", { old, new: next }),
  /** Adds an account with its role and PIN, proven by the laptop's recovery code. */
  addAccount: (code: string, name: string, role: Role, secret: string) =>
    call<void>("add_account", { code, name, role, secret }),
  /** The village's households on the vulnerability profile, the most vulnerable first. */
  vulnerabilityList: () => call<VulnerabilityList>("vulnerability_list"),
  /** Saves the vulnerability list as CSV in the export folder; resolves to the file's path. */
  saveVulnerabilityList: (hamlet: string | null, language: Language) =>
    call<string>("save_vulnerability_list", { hamlet, language }),
  /** The centre's calendar day (YYYY-MM-DD), the day the store decides and ages are counted on. */
  today: () => call<string>("today"),
  /** The USB sticks mounted now, the Downloads folder, and the room a backup needs. */
  backupPlaces: () => call<BackupPlaces>("backup_places"),
  /** A checked, encrypted backup on the stick mounted at `drive`, or in Downloads when null. */
  backupTo: (drive: string | null) => call<BackupDone>("backup_to", { drive }),
  /** The backups on the sticks and in Downloads, newest first (asked before any store exists). */
  backupFiles: () => call<FoundBackup[]>("backup_files"),
  /** The household lists and mapping files at the top of the USB sticks and in Downloads. */
  importFilesFound: () => call<ImportFiles>("import_files_found"),
  /** Checks (`dryRun`) or imports one of those lists with one of those mapping files. */
  importList: (list: string, mapping: string, dryRun: boolean) =>
    call<ListReport>("import_list", { list, mapping, dryRun }),
  /** Restores one of `backupFiles` into this new laptop's empty data folder and opens it. */
  restoreBackup: (path: string, account: string | null, secret: string) =>
    call<Session>("restore_backup", { path, account, secret }),
};

/**
 * Calls `onProgress` while the store opens slowly (its one-time upgrade after the app was
 * updated, or its encryption); returns the function that stops listening.
 */
export async function onOpenProgress(onProgress: (p: OpenProgress) => void): Promise<() => void> {
  try {
    return await listen<OpenProgress>("open-progress", (e) => onProgress(e.payload));
  } catch {
    return () => {};
  }
}

/**
 * Calls `onProgress` while a backup is written; returns the function that stops listening.
 * Like the village's progress, only a courtesy: the backup's result arrives either way.
 */
export async function onBackupProgress(onProgress: (p: BackupProgress) => void): Promise<() => void> {
  try {
    return await listen<BackupProgress>("backup-progress", (e) => onProgress(e.payload));
  } catch {
    return () => {};
  }
}

/**
 * Calls `onProgress(done, total)` while an import writes its households; returns the function
 * that stops listening. A courtesy like the others: the report arrives either way.
 */
export async function onImportProgress(onProgress: (done: number, total: number) => void): Promise<() => void> {
  try {
    return await listen<[number, number]>("import-progress", (e) => onProgress(e.payload[0], e.payload[1]));
  } catch {
    return () => {};
  }
}

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
  return { code: "storage", detail: String(e), detail_hi: null, fields: [], count: null };
}
