//! Every `crest::fs` function does what std's does, from a task, and an error names the
//! path (std's messages do not) with std's `ErrorKind`.

mod util;

use std::io::ErrorKind;

#[test]
fn the_fs_functions_round_trip() {
    util::block_on_timeout(util::LIMIT, async {
        let dir = std::env::temp_dir().join(format!("crest-fs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        crest::fs::create_dir_all(dir.join("a/b")).await.unwrap();
        crest::fs::write(dir.join("a/b/one"), b"first").await.unwrap();
        assert_eq!(crest::fs::read(dir.join("a/b/one")).await.unwrap(), b"first");
        assert_eq!(crest::fs::copy(dir.join("a/b/one"), dir.join("two")).await.unwrap(), 5);
        crest::fs::rename(dir.join("two"), dir.join("three")).await.unwrap();
        assert_eq!(crest::fs::read_to_string(dir.join("three")).await.unwrap(), "first");
        assert_eq!(crest::fs::metadata(dir.join("three")).await.unwrap().len(), 5);
        assert!(crest::fs::metadata(dir.join("a")).await.unwrap().is_dir());
        let mut names: Vec<_> = crest::fs::read_dir(&dir)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a", "three"]);
        crest::fs::remove_file(dir.join("three")).await.unwrap();
        crest::fs::remove_dir_all(&dir).await.unwrap();
        assert!(!dir.exists());
    });
}

#[test]
fn errors_name_the_path() {
    util::block_on_timeout(util::LIMIT, async {
        let missing = std::env::temp_dir().join("crest-fs-missing/config.toml");
        let err = crest::fs::read_to_string(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().contains("crest-fs-missing/config.toml"), "{err}");
        let err = crest::fs::rename(&missing, "/tmp/crest-fs-elsewhere").await.unwrap_err();
        assert!(
            err.to_string().contains("crest-fs-missing") && err.to_string().contains("elsewhere"),
            "{err}"
        );
        let err = crest::fs::read_dir(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    });
}
