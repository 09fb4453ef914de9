//! Meetings and threads in the Markdown mirror (issue 17) as a user meets them: made with
//! the CLI, they appear as `meetings/YYYY-MM-DD-slug.md` and `threads/slug.md`; edits in
//! the files apply field by field with the app's rules, three ways against what the file
//! was based on; a value the app refuses refuses the whole file.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::mirror::{count, file_of, mirror_once, read, reconcile, show, write};
use crate::{add_member, init, json, ok};

/// A workspace (Ada, Europe/Berlin) with Sam, a meeting with two agenda items and a
/// thread to Sam with a reply from each, mirrored into a folder once.
struct Setup {
    d: tempfile::TempDir,
    _root: tempfile::TempDir,
    folder: PathBuf,
    meeting: String,
    thread: String,
}

fn setup() -> Setup {
    let d = init();
    let p = d.path();
    add_member(p, "Sam", "Australia/Sydney", "mon-fri 09:00-17:00");
    // 2026-12-01 08:00Z is 09:00 in Berlin: the file is named after that day.
    let meeting = json(
        p,
        &[
            "meeting",
            "new",
            "--title",
            "Weekly sync",
            "--start",
            "2026-12-01T08:00:00Z",
            "--duration",
            "45m",
            "--with",
            "Sam",
            "--purpose",
            "Agree the plan for Q1.",
            "--item",
            "Budget",
            "--item",
            "Hiring",
        ],
    )["id"]
        .as_str()
        .expect("meeting id")
        .to_owned();
    let thread = json(
        p,
        &[
            "thread",
            "post",
            "--kind",
            "question",
            "--to",
            "Sam",
            "--title",
            "Launch date?",
            "--body",
            "When do we launch?\n\nMarch or April.",
        ],
    )["id"]
        .as_str()
        .expect("thread id")
        .to_owned();
    ok(
        p,
        &[
            "thread",
            "reply",
            &thread,
            "--as",
            "Sam",
            "--body",
            "In March.",
        ],
    );
    ok(p, &["thread", "reply", &thread, "--body", "Sounds good."]);
    let root = tempfile::tempdir().expect("temp dir");
    let folder = root.path().join("notes");
    reconcile(p, &[folder.to_str().expect("UTF-8")]);
    Setup {
        d,
        _root: root,
        folder,
        meeting,
        thread,
    }
}

fn meeting_file(s: &Setup) -> PathBuf {
    s.folder.join("meetings/2026-12-01-weekly-sync.md")
}

fn thread_file(s: &Setup) -> PathBuf {
    s.folder.join("threads/launch-date.md")
}

/// `text` with `new` put right after the first line that holds `after`.
fn insert_after(text: &str, after: &str, new: &str) -> String {
    let at = text
        .find(after)
        .unwrap_or_else(|| panic!("no `{after}` in:\n{text}"));
    let end = at + text[at..].find('\n').expect("line end") + 1;
    format!("{}{new}{}", &text[..end], &text[end..])
}

/// The meeting's agenda item titled `title`.
fn item<'v>(m: &'v Value, title: &str) -> &'v Value {
    m["agenda"]
        .as_array()
        .expect("agenda")
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("no item {title} in {m}"))
}

#[test]
fn meetings_and_threads_appear_as_files_with_their_documented_names() {
    let s = setup();
    let m = read(&meeting_file(&s));
    let meeting = show(s.d.path(), &s.meeting);
    let budget = item(&meeting, "Budget")["id"].as_str().expect("item id");
    for want in [
        format!("id: {}\n", s.meeting),
        "kind: meeting\n".to_owned(),
        "start: 2026-12-01T09:00:00+01:00\n".to_owned(),
        "duration_min: 45\n".to_owned(),
        "organiser_tz: Europe/Berlin\n".to_owned(),
        "status: scheduled\n".to_owned(),
        "# Weekly sync\n\nAgree the plan for Q1.\n\n## Agenda\n".to_owned(),
        format!("### Budget\n<!-- item: {budget} -->\n- minutes: 10\n"),
        "## Notes\n".to_owned(),
        "## Summary\n".to_owned(),
    ] {
        assert!(m.contains(&want), "{want:?} in:\n{m}");
    }
    let t = read(&thread_file(&s));
    let thread = show(s.d.path(), &s.thread);
    for want in [
        format!("id: {}\n", s.thread),
        "kind: thread\n".to_owned(),
        "message_kind: question\n".to_owned(),
        "state: answered\n".to_owned(),
        "# Launch date?\n\nWhen do we launch?\n\nMarch or April.\n\n## Replies\n".to_owned(),
        "### Sam · ".to_owned(),
        format!(
            "<!-- reply: {}; by: {}; ",
            thread["messages"][0]["id"].as_str().expect("id"),
            thread["messages"][0]["author"].as_str().expect("author")
        ),
        "\nIn March.\n".to_owned(),
        "### Ada · ".to_owned(),
    ] {
        assert!(t.contains(&want), "{want:?} in:\n{t}");
    }
    // Nothing changed on either side: a pass writes and applies nothing.
    let r = reconcile(s.d.path(), &[]);
    assert_eq!(count(&r, "written"), 0, "{r}");
    assert_eq!(count(&r, "applied"), 0, "{r}");
    assert_eq!(read(&meeting_file(&s)), m);
    assert_eq!(read(&thread_file(&s)), t);
}

#[test]
fn agenda_notes_and_summary_edited_in_the_file_apply_and_a_concurrent_edit_survives() {
    let s = setup();
    let p = s.d.path();
    let file = meeting_file(&s);
    let before = show(p, &s.meeting);
    let hiring = item(&before, "Hiring").clone();

    // The file is edited (an item's notes, the summary) while the meeting's notes are
    // changed from the CLI: the file was based on the meeting without those notes.
    let edited = insert_after(
        &read(&file),
        "- minutes: 10",
        "\nNumbers first, then the plan.\n",
    );
    let edited = edited.replace(
        "## Summary\n",
        "## Summary\n\nWe agreed on March and a smaller budget.\n",
    );
    write(&file, &edited);
    ok(
        p,
        &["meeting", "note", &s.meeting, "--body", "Typed in the app."],
    );

    let r = reconcile(p, &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let after = show(p, &s.meeting);
    assert_eq!(
        item(&after, "Budget")["notes"],
        "Numbers first, then the plan."
    );
    assert_eq!(
        after["summary"], "We agreed on March and a smaller budget.",
        "{after}"
    );
    assert_eq!(
        after["notes"], "Typed in the app.",
        "the CLI's edit survives"
    );
    // Nothing else changed.
    let mut expected = before.clone();
    expected["summary"] = after["summary"].clone();
    expected["notes"] = after["notes"].clone();
    expected["agenda"][0]["notes"] = after["agenda"][0]["notes"].clone();
    assert_eq!(after, expected);
    assert_eq!(item(&after, "Hiring"), &hiring);
    // The merged meeting is written back: the file shows the CLI's notes too.
    let text = read(&file);
    assert!(
        text.contains("## Notes\n\nTyped in the app.\n"),
        "written back merged:\n{text}"
    );
    assert!(text.contains("Numbers first, then the plan."), "{text}");
    let r = reconcile(p, &[]);
    assert_eq!(count(&r, "written") + count(&r, "applied"), 0, "{r}");
}

#[test]
fn a_prose_edit_in_the_file_and_one_in_the_app_in_another_paragraph_both_survive() {
    let s = setup();
    let p = s.d.path();
    let file = thread_file(&s);
    // The file changes the first paragraph; the CLI the second, meanwhile.
    write(
        &file,
        &read(&file).replace("When do we launch?", "When exactly do we launch?"),
    );
    ok(
        p,
        &[
            "thread",
            "edit",
            &s.thread,
            "--body",
            "When do we launch?\n\nMarch, April or May.",
        ],
    );
    let r = reconcile(p, &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let body = show(p, &s.thread)["body"]
        .as_str()
        .expect("body")
        .to_owned();
    assert_eq!(body, "When exactly do we launch?\n\nMarch, April or May.");
    assert!(read(&file).contains("When exactly do we launch?\n\nMarch, April or May.\n"));
}

#[test]
fn invalid_values_are_refused_with_a_reason_and_nothing_of_the_file_applies() {
    let s = setup();
    let p = s.d.path();
    let file = meeting_file(&s);
    let before = show(p, &s.meeting);
    let good = read(&file);
    for (from, to, says) in [
        ("duration_min: 45", "duration_min: -5", "duration_min"),
        // The app's own rule: at most a day.
        ("duration_min: 45", "duration_min: 2000", "duration"),
        (
            "start: 2026-12-01T09:00:00+01:00",
            "start: next tuesday",
            "start",
        ),
        // A summarised meeting needs a summary (as `meeting state` says).
        ("status: scheduled", "status: summarised", "summary"),
        (
            "organiser_tz: Europe/Berlin",
            "organiser_tz: Asia/Tokyo",
            "organiser_tz",
        ),
    ] {
        // The bad value comes with a good edit of the summary: neither applies.
        let saved = good
            .replacen(from, to, 1)
            .replace("## Notes\n", "## Notes\n\nNoted while the value was bad.\n");
        assert_ne!(saved, good, "{from}");
        write(&file, &saved);
        let (success, r, _) = mirror_once(p, &[]);
        assert!(!success, "{to}: {r}");
        assert_eq!(
            r["refused"][0]["path"], "meetings/2026-12-01-weekly-sync.md",
            "{r}"
        );
        let reason = r["refused"][0]["reason"].as_str().expect("reason");
        assert!(reason.contains(says), "{to}: {reason}");
        assert_eq!(show(p, &s.meeting), before, "{to}: nothing applied");
        assert_eq!(read(&file), saved, "the file is left as saved");
    }
    // Fixed: the rest of the edit applies.
    write(
        &file,
        &good.replace(
            "## Notes\n",
            "## Notes\n\nNoted once the value was fixed.\n",
        ),
    );
    let r = reconcile(p, &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    assert_eq!(
        show(p, &s.meeting)["notes"],
        "Noted once the value was fixed."
    );
    let status = json(p, &["mirror", "--status"]);
    assert_eq!(status["refused"], serde_json::json!([]), "{status}");
}

#[test]
fn replies_edited_in_the_file() {
    let s = setup();
    let p = s.d.path();
    let file = thread_file(&s);
    let good = read(&file);

    // Someone else's reply: refused, nothing applied.
    let saved = good
        .replace("In March.", "In February.")
        .replace("Sounds good.", "Sounds great.");
    write(&file, &saved);
    let (success, r, _) = mirror_once(p, &[]);
    assert!(!success, "{r}");
    let reason = r["refused"][0]["reason"].as_str().expect("reason");
    assert!(reason.contains("someone else's"), "{reason}");
    let thread = show(p, &s.thread);
    assert_eq!(thread["messages"][0]["body"], "In March.");
    assert_eq!(thread["messages"][1]["body"], "Sounds good.");

    // My own reply, and a new section without a marker: a new reply by me.
    let saved = format!(
        "{}\n### Ada\n\nLet us fix the date on Friday.\n",
        good.replace("Sounds good.", "Sounds great.")
    );
    write(&file, &saved);
    let r = reconcile(p, &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let thread = show(p, &s.thread);
    let messages = thread["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3, "{thread}");
    assert_eq!(messages[0]["body"], "In March.");
    assert_eq!(messages[1]["body"], "Sounds great.");
    assert_eq!(messages[2]["body"], "Let us fix the date on Friday.");
    assert_eq!(messages[2]["author"], messages[1]["author"], "by me");
    // The new reply got its marker in the file.
    let text = read(&file);
    assert!(
        text.contains(&format!(
            "<!-- reply: {};",
            messages[2]["id"].as_str().expect("id")
        )),
        "{text}"
    );
    // Removing a reply is refused.
    let at = text.find("### Sam").expect("Sam's reply");
    let end = at + text[at..].find("\n### ").expect("next reply") + 1;
    let saved = format!("{}{}", &text[..at], &text[end..]);
    write(&file, &saved);
    let (success, r, _) = mirror_once(p, &[]);
    assert!(!success, "{r}");
    let reason = r["refused"][0]["reason"].as_str().expect("reason");
    assert!(reason.contains("cannot be deleted"), "{reason}");
}

#[test]
fn new_files_in_meetings_and_threads_become_those_objects_or_are_refused_with_the_reason() {
    let s = setup();
    let p = s.d.path();
    let dir = s.folder.join("meetings");
    write(
        &dir.join("retro.md"),
        "---\nstart: 2026-12-04T14:00:00+01:00\nduration_min: 30\nattendees: [Sam]\n---\n# Retro\n\n## Agenda\n\n### What went well\n- owner: Sam\n\nShipping on time.\n",
    );
    write(
        &dir.join("no-time.md"),
        "---\nduration_min: 30\n---\n# Sometime\n",
    );
    let (success, r, _) = mirror_once(p, &[]);
    assert!(!success, "one file is refused: {r}");
    assert_eq!(count(&r, "created"), 1, "{r}");
    assert_eq!(r["refused"][0]["path"], "meetings/no-time.md", "{r}");
    let reason = r["refused"][0]["reason"].as_str().expect("reason");
    assert!(reason.contains("start"), "{reason}");
    let text = read(&dir.join("retro.md"));
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap_or_else(|| panic!("the new file got its id:\n{text}"))
        .to_owned();
    let m = show(p, &id);
    assert_eq!(m["kind"], "meeting", "{m}");
    assert_eq!(m["title"], "Retro");
    assert_eq!(m["organiser_tz"], "Europe/Berlin", "mine, as in the app");
    assert_eq!(m["attendees"].as_array().map(Vec::len), Some(2), "{m}");
    assert_eq!(m["agenda"][0]["notes"], "Shipping on time.");
    assert_eq!(m["agenda"][0]["minutes"], 10);
    assert_eq!(file_of(&s.folder, &id), dir.join("retro.md"));
    assert!(
        Path::new(&dir.join("retro.md")).exists(),
        "the file stays where it was made"
    );

    // A thread file is posted as the app posts one; without recipients it is refused.
    let dir = s.folder.join("threads");
    write(
        &dir.join("offsite.md"),
        "---\nmessage_kind: question\nrecipients: [Sam]\n---\n# Offsite in May?\n\nShall we meet in Lisbon?\n",
    );
    write(
        &dir.join("to-nobody.md"),
        "---\nmessage_kind: fyi\n---\n# A note\n",
    );
    let (success, r, _) = mirror_once(p, &[]);
    assert!(!success, "one file is refused: {r}");
    assert_eq!(count(&r, "created"), 1, "{r}");
    let refused: Vec<&str> = r["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert!(refused.contains(&"threads/to-nobody.md"), "{r}");
    let text = read(&dir.join("offsite.md"));
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .unwrap_or_else(|| panic!("the new file got its id:\n{text}"))
        .to_owned();
    let t = show(p, &id);
    assert_eq!(t["kind"], "thread", "{t}");
    assert_eq!(t["body"], "Shall we meet in Lisbon?");
    assert_eq!(t["recipients"].as_array().map(Vec::len), Some(1), "{t}");
}

#[test]
fn an_agenda_item_added_in_the_file_gets_its_marker_and_one_removed_goes() {
    let s = setup();
    let p = s.d.path();
    let file = meeting_file(&s);
    let text = read(&file);
    // Hiring removed, Risks added (with an owner by name) before Budget.
    let hiring = text.find("### Hiring").expect("hiring");
    let notes = text.find("## Notes").expect("notes");
    let text = format!("{}{}", &text[..hiring], &text[notes..]);
    let text = text.replace(
        "### Budget",
        "### Risks\n- owner: Sam\n- minutes: 5\n\nThe supplier may be late.\n\n### Budget",
    );
    // And Budget gets an owner, by name too.
    let budget = item(&show(p, &s.meeting), "Budget")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let text = insert_after(&text, &format!("<!-- item: {budget}"), "- owner: Sam\n");
    write(&file, &text);
    let r = reconcile(p, &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let m = show(p, &s.meeting);
    let titles: Vec<&str> = m["agenda"]
        .as_array()
        .expect("agenda")
        .iter()
        .map(|i| i["title"].as_str().expect("title"))
        .collect();
    assert_eq!(titles, ["Risks", "Budget"], "{m}");
    let risks = item(&m, "Risks");
    assert_eq!(risks["minutes"], 5);
    assert_eq!(risks["notes"], "The supplier may be late.");
    assert_eq!(
        risks["owner"].as_str().map(str::len),
        Some(32),
        "Sam's id: {m}"
    );
    let sam = risks["owner"].as_str().expect("owner");
    assert_eq!(item(&m, "Budget")["owner"], sam, "{m}");
    let text = read(&file);
    assert!(
        text.contains(&format!(
            "### Risks\n<!-- item: {} -->\n- owner: {sam}\n",
            risks["id"].as_str().expect("id")
        )),
        "written back with its marker and the owner's id:\n{text}"
    );
    assert!(
        text.contains(&format!("<!-- item: {budget} -->\n- owner: {sam}\n")),
        "{text}"
    );
    let r = reconcile(p, &[]);
    assert_eq!(count(&r, "written") + count(&r, "applied"), 0, "{r}");
}

#[test]
fn a_thread_acknowledged_and_resolved_in_the_file() {
    let s = setup();
    let p = s.d.path();
    let file = thread_file(&s);
    write(
        &file,
        &read(&file).replace(
            "state: answered\n",
            "state: resolved\nacknowledged_by: [Sam]\n",
        ),
    );
    let r = reconcile(p, &[]);
    assert_eq!(count(&r, "applied"), 1, "{r}");
    let t = show(p, &s.thread);
    assert_eq!(t["state"], "resolved", "{t}");
    let sam = t["messages"][0]["author"].as_str().expect("Sam's id");
    assert_eq!(t["acknowledgements"], serde_json::json!([sam]), "{t}");
    // The name is written back as the member id the app keeps.
    let text = read(&file);
    assert!(
        text.contains(&format!("acknowledged_by:\n- {sam}\n")),
        "{text}"
    );
}
