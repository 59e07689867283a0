//! The one place meshgen prints problems: input diagnostics, I/O and internal errors, and the
//! analyzers' text report, all through annotate-snippets (rustc's renderer), coloured or not as
//! `--color` and `NO_COLOR` decide. Exit codes are decided here too: 0 ok, 1 findings (drift,
//! changed output, lint errors, differing renders), 2 bad input, usage or I/O. A closed stdout
//! (`meshgen render | head`) is not an error.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::{ColorChoice, Outcome};
use crate::core::diagnostic::{Diagnostic, Label};
use crate::error::{Error, Result};
use crate::lint::{Finding, Report, Severity};

/// Exit code of a run that found problems in otherwise valid input (drift, lint errors).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code of bad input, bad usage or an I/O failure.
pub const EXIT_BAD_INPUT: u8 = 2;

/// At most this many problems of one error are printed; the rest are counted.
const MAX_SHOWN: usize = 20;

/// Prints to stdout (data) and stderr (diagnostics, reports of what was done).
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    styled: bool,
}

impl Printer {
    /// Colour on stderr for `always`, or for `auto` when stderr is a terminal and `NO_COLOR` is
    /// unset or empty.
    pub fn new(color: ColorChoice) -> Printer {
        let styled = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        Printer { styled }
    }

    fn renderer(self) -> Renderer {
        if self.styled {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
    }

    /// Writes data to stdout; a closed pipe is not an error.
    pub fn stdout(self, text: &str) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(error) => Err(Error::io("write", "standard output", error)),
        }
    }

    /// Writes a line to stderr (best effort: nothing else can be done if stderr is gone).
    pub fn note(self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// The analyzers' warnings of a render that goes ahead, on stderr.
    pub fn warnings(self, report: &Report) {
        if report.count(Severity::Warning) == 0 {
            return;
        }
        let warnings = Report {
            findings: report.findings.clone(),
            ..Report::default()
        };
        let _ = write!(std::io::stderr().lock(), "{}", self.lint_text(&warnings));
    }

    /// The analyzers' report as text.
    pub fn lint_text(self, report: &Report) -> String {
        lint_text(report, self.renderer())
    }

    /// Ends the run: prints an error, and turns the result into the exit code.
    pub fn finish(self, result: Result<Outcome>) -> ExitCode {
        match result {
            Ok(Outcome::Clean) => ExitCode::SUCCESS,
            Ok(Outcome::Findings) => ExitCode::from(EXIT_FINDINGS),
            Err(Error::Lint(report)) => {
                let _ = write!(std::io::stderr().lock(), "{}", self.lint_text(&report));
                ExitCode::from(EXIT_FINDINGS)
            }
            Err(error) => {
                let _ = write!(std::io::stderr().lock(), "{}", self.error_text(&error));
                ExitCode::from(EXIT_BAD_INPUT)
            }
        }
    }

    /// An error as text.
    pub fn error_text(self, error: &Error) -> String {
        error_text(error, self.renderer())
    }
}

/// clap's exit code: 0 for `--help` and `--version`, 2 for usage errors.
pub fn usage_exit_code(error: &clap::Error) -> ExitCode {
    if error.use_stderr() {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}

/// Renders `error` as text with `renderer`: every diagnostic with its `error:` label.
pub fn error_text(error: &Error, renderer: Renderer) -> String {
    let mut out = String::new();
    match error {
        Error::Input(_) | Error::Inputs(_) => {
            let diagnostics = error.diagnostics();
            for (index, diagnostic) in diagnostics.iter().take(MAX_SHOWN).enumerate() {
                if index > 0 {
                    out.push('\n');
                }
                out.push_str(&renderer.render(&diagnostic_groups(diagnostic)));
                out.push('\n');
            }
            if diagnostics.len() > MAX_SHOWN {
                out.push_str(&format!(
                    "\n... and {} more problems like these\n",
                    diagnostics.len() - MAX_SHOWN
                ));
            }
        }
        Error::Io {
            action,
            path,
            source,
        } => {
            let title = format!("cannot {action} `{}`: {source}", path.display());
            out.push_str(&renderer.render(&[Group::with_title(Level::ERROR.primary_title(title))]));
            out.push('\n');
        }
        Error::Template { template, message } => {
            let title = format!("internal error in template `{template}`: {message}");
            let group =
                Group::with_title(Level::ERROR.primary_title(title)).element(Level::HELP.message(
                    "this is a meshgen bug; please report it with the profile that triggers it",
                ));
            out.push_str(&renderer.render(&[group]));
            out.push('\n');
        }
        Error::Lint(report) => out.push_str(&lint_text(report, renderer)),
    }
    out
}

fn diagnostic_groups(diagnostic: &Diagnostic) -> Vec<Group<'_>> {
    let mut group = Group::with_title(Level::ERROR.primary_title(diagnostic.message.as_str()));
    if let Some(label) = &diagnostic.label {
        group = match label_snippet(label) {
            Some(snippet) => group.element(snippet),
            None => group.element(
                Origin::path(label.file.as_str())
                    .line(label.line)
                    .char_column(label.column),
            ),
        };
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    vec![group]
}

/// The source line of a label, underlined, when the label has its text.
fn label_snippet(label: &Label) -> Option<Snippet<'_, annotate_snippets::Annotation<'_>>> {
    let line = label.line_text.as_deref()?;
    let start: usize = line
        .chars()
        .take(label.column.saturating_sub(1))
        .map(char::len_utf8)
        .sum();
    let end = start
        + line[start..]
            .chars()
            .take(label.width.max(1))
            .map(char::len_utf8)
            .sum::<usize>();
    // A position past the end of the line (an empty value) underlines its end.
    let span = if start >= line.len() {
        line.len()..line.len()
    } else {
        start..end
    };
    Some(
        Snippet::source(line)
            .line_start(label.line)
            .path(label.file.as_str())
            .annotation(AnnotationKind::Primary.span(span)),
    )
}

/// The analyzers' report as text: one block per finding, acknowledged findings with their
/// reason, stale acknowledgements, and a summary line.
pub fn lint_text(report: &Report, renderer: Renderer) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let level = match finding.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let group = finding_group(
            Group::with_title(
                level
                    .primary_title(finding.message.as_str())
                    .id(finding.code),
            ),
            finding,
        );
        out.push_str(&renderer.render(&[group]));
        out.push('\n');
    }
    for acknowledged in &report.acknowledged {
        let finding = &acknowledged.finding;
        let title = Level::NOTE
            .with_name("acknowledged")
            .primary_title(finding.message.as_str())
            .id(finding.code);
        let group = finding_group(Group::with_title(title), finding).element(
            Level::NOTE
                .with_name("reason")
                .message(acknowledged.reason.as_str()),
        );
        out.push_str(&renderer.render(&[group]));
        out.push('\n');
    }
    for ignore in &report.unused_ignores {
        out.push_str(&format!(
            "note: `spec.lint.ignore` acknowledges {}, which found nothing; remove the entry\n",
            ignore.code
        ));
    }
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    if report.findings.is_empty() && report.acknowledged.is_empty() {
        out.push_str("No problems found.\n");
    } else {
        out.push_str(&format!(
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        ));
        if !report.acknowledged.is_empty() {
            out.push_str(&format!(", {} acknowledged", report.acknowledged.len()));
        }
        out.push_str(".\n");
        if !report.findings.is_empty() {
            out.push_str("Run `meshgen lint --explain CODE` for why and how to fix.\n");
        }
    }
    out
}

/// Adds where a finding is: its file and line when known, then the object and field.
fn finding_group<'a>(mut group: Group<'a>, finding: &'a Finding) -> Group<'a> {
    if let Some(location) = &finding.location {
        group = group.element(Origin::path(location.file.as_str()).line(location.line));
    }
    let object = if finding.pointer.is_empty() {
        format!("object: {}", finding.object)
    } else {
        format!("object: {} at {}", finding.object, finding.pointer)
    };
    group.element(Level::NOTE.message(object))
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::diagnostic::Kind;

    #[test]
    fn every_diagnostic_of_a_multi_error_report_has_its_label() {
        let error = Error::Inputs(vec![
            Diagnostic::new(Kind::InvalidValue, "first"),
            Diagnostic::new(Kind::InvalidValue, "second").help("fix it"),
        ]);
        let text = error_text(&error, Renderer::plain());
        assert!(text.starts_with("error: first"), "{text}");
        assert!(text.contains("\nerror: second"), "{text}");
    }

    #[test]
    fn positioned_diagnostics_show_the_line() {
        let diagnostic = Diagnostic::new(Kind::UnknownKey, "unknown key `replcias`")
            .at(Label {
                file: "meshgen.yaml".into(),
                line: 7,
                column: 7,
                width: 8,
                line_text: Some("      replcias: 3".into()),
            })
            .help("did you mean `replicas`?");
        let text = error_text(&Error::input(diagnostic), Renderer::plain());
        assert_eq!(
            text,
            "error: unknown key `replcias`\n --> meshgen.yaml:7:7\n  |\n7 |       replcias: 3\n  |       ^^^^^^^^\n  |\n  = help: did you mean `replicas`?\n"
        );
    }

    #[test]
    fn long_reports_are_capped() {
        let many = (0..100)
            .map(|i| Diagnostic::new(Kind::Conflict, format!("problem {i}")))
            .collect();
        let text = error_text(&Error::Inputs(many), Renderer::plain());
        assert!(text.contains("problem 19") && !text.contains("problem 20"));
        assert!(text.contains("and 80 more problems"));
    }
}
