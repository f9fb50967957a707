//! Printing from the window. WebKitGTK leaves the page's own `window.print()` without effect in
//! our shell (the window test saw no print window open), so the print buttons ask the shell,
//! which opens the system's print window for the page as the print style sheet lays it out;
//! that window also saves a PDF ("Print to File"), offline.

use samanvaya_core::{ErrorCode, ErrorReply};

/// Opens the print window for the page shown in `webview`. It returns at once: the print window
/// runs on the window's own thread, so the page stays drawn behind it.
#[tauri::command(async)]
pub fn print_page(webview: tauri::Webview) -> Result<(), ErrorReply> {
    webview.print().map_err(|e| ErrorReply {
        code: ErrorCode::Print,
        detail: e.to_string(),
        detail_hi: None,
        fields: vec![],
        count: None,
    })
}
