//! The documents the editor has open and the programs they belong to. A
//! program is every `.mesh` file of a directory, as for `meshc check DIR`;
//! an open document's text takes the place of the file on disk. A document
//! that is not a file (an untitled buffer) is a program of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use meshc_compiler::ide::Analysis;
use meshc_compiler::span::{FileId, SourceFile};
use tower_lsp_server::ls_types::{TextDocumentContentChangeEvent, Uri};

use crate::lines::Lines;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Dir(PathBuf),
    Alone(Uri),
}

pub struct Program {
    /// File name -> URI of every file of the program.
    pub uris: BTreeMap<String, Uri>,
    /// File name -> text on disk.
    disk: BTreeMap<String, String>,
    pub analysis: Arc<Analysis>,
    /// The latest analysis in which every file parsed (completion reads the
    /// names a declaration being typed has lost from it).
    pub last_good: Option<Arc<Analysis>>,
}

impl Program {
    pub fn uri(&self, file: FileId) -> Option<&Uri> {
        let path = &self.analysis.compilation.files.get(file as usize)?.path;
        self.uris.get(path)
    }
}

#[derive(Default)]
pub struct State {
    docs: HashMap<Uri, String>,
    programs: HashMap<Key, Program>,
}

/// A document's analysis, for a request.
pub struct Query<'s> {
    pub program: &'s Program,
    pub file: FileId,
}

impl Query<'_> {
    pub fn analysis(&self) -> &Analysis {
        &self.program.analysis
    }

    pub fn text(&self) -> &str {
        self.program.analysis.text(self.file)
    }

    pub fn lines(&self) -> Lines<'_> {
        Lines::new(self.text())
    }
}

pub fn key_of(uri: &Uri) -> Key {
    let dir = (uri.scheme().as_str() == "file")
        .then(|| uri.to_file_path())
        .flatten()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    match dir {
        Some(d) => Key::Dir(d),
        None => Key::Alone(uri.clone()),
    }
}

fn file_name(uri: &Uri) -> String {
    uri.to_file_path()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "untitled.mesh".into())
}

impl State {
    pub fn open(&mut self, uri: Uri, text: String) -> Key {
        let key = key_of(&uri);
        self.docs.insert(uri, text);
        key
    }

    /// Applies the edits; the document's program is then stale until [`State::refresh`].
    pub fn change(&mut self, uri: &Uri, changes: Vec<TextDocumentContentChangeEvent>) -> Option<Key> {
        let text = self.docs.get_mut(uri)?;
        for c in changes {
            match c.range {
                None => *text = c.text,
                Some(r) => {
                    let span = Lines::new(text).span(r);
                    text.replace_range(span, &c.text);
                }
            }
        }
        Some(key_of(uri))
    }

    pub fn close(&mut self, uri: &Uri) -> Key {
        self.docs.remove(uri);
        key_of(uri)
    }

    /// Whether any open document belongs to the program.
    pub fn has_open(&self, key: &Key) -> bool {
        self.docs.keys().any(|u| key_of(u) == *key)
    }

    pub fn drop_program(&mut self, key: &Key) -> Option<Program> {
        self.programs.remove(key)
    }

    /// Re-analyses a program (re-reading its directory when `reread` is set
    /// or the program is new). Returns the program it replaces: dropping a
    /// large analysis takes a while, so the caller does it off the hot path.
    pub fn refresh(&mut self, key: &Key, reread: bool) -> Option<Program> {
        // The old program stays until the new analysis is done (it may panic).
        let (disk, mut uris) = match (self.programs.get(key), key) {
            (Some(p), _) if !reread => (p.disk.clone(), p.uris.clone()),
            (_, Key::Dir(dir)) => read_dir(dir),
            (_, Key::Alone(_)) => Default::default(),
        };
        let mut files: BTreeMap<String, String> = disk.clone();
        for (uri, text) in self.docs.iter().filter(|(u, _)| key_of(u) == *key) {
            let name = file_name(uri);
            uris.insert(name.clone(), uri.clone());
            files.insert(name, text.clone());
        }
        let sources = files
            .into_iter()
            .map(|(path, text)| SourceFile { path, text })
            .collect();
        let analysis = Arc::new(Analysis::new(sources));
        let all_parse = (0..analysis.compilation.files.len() as FileId)
            .filter(|f| analysis.is_user_file(*f))
            .all(|f| analysis.parses(f));
        let last_good = match self.programs.get(key) {
            _ if all_parse => Some(analysis.clone()),
            Some(p) => p.last_good.clone(),
            None => None,
        };
        self.programs.insert(
            key.clone(),
            Program {
                uris,
                disk,
                analysis,
                last_good,
            },
        )
    }

    pub fn program(&self, key: &Key) -> Option<&Program> {
        self.programs.get(key)
    }

    pub fn query(&self, uri: &Uri) -> Option<Query<'_>> {
        let program = self.programs.get(&key_of(uri))?;
        let file = program.analysis.file(&file_name(uri))?;
        Some(Query { program, file })
    }
}

/// The `.mesh` files of a directory: name -> text, name -> URI.
fn read_dir(dir: &Path) -> (BTreeMap<String, String>, BTreeMap<String, Uri>) {
    let mut disk = BTreeMap::new();
    let mut uris = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (disk, uris);
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "mesh") || !path.is_file() {
            continue;
        }
        let (Some(uri), Ok(bytes)) = (Uri::from_file_path(&path), std::fs::read(&path)) else {
            continue;
        };
        let name = e.file_name().to_string_lossy().into_owned();
        disk.insert(name.clone(), String::from_utf8_lossy(&bytes).into_owned());
        uris.insert(name, uri);
    }
    (disk, uris)
}
