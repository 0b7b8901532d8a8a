// The editor's autosave and offline handling (see issue 3).
