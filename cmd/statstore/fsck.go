package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/statstore/statstore"
	"github.com/statstore/statstore/filestore"
)

// fileCheck is one file of an fsck or repair report in JSON.
type fileCheck struct {
	Path       string `json:"path"`
	Size       int64  `json:"size"`
	ValidBytes int64  `json:"valid_bytes"`
	Records    int    `json:"records"`
	TornTail   bool   `json:"torn_tail"`
	Corrupt    bool   `json:"corrupt"`
	Offset     *int64 `json:"offset"`
	Error      string `json:"error,omitempty"`
	// NotRegular: a directory, named pipe or dangling link stands where
	// the run's file must be; repair leaves it alone.
	NotRegular bool `json:"not_regular,omitempty"`
	// Backup is where repair copied the file before changing it.
	Backup string `json:"backup,omitempty"`
	// Foreign: not a statstore file at all (another tool's); repair
	// refuses to run while one is there.
	Foreign bool `json:"foreign,omitempty"`
}

// checkReport is an fsck or repair report in JSON.
type checkReport struct {
	Store string      `json:"store"`
	OK    bool        `json:"ok"`
	Files []fileCheck `json:"files"`
}

func newFsckCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "fsck",
		Short: "Check every file of a file store; exit 3 naming file and offset when corrupt",
		Long: `Check every record of every file of the file store (--store DIR) against its
checksum. A torn tail (provably the cut end of an interrupted write: the
file ends inside a record whose bytes are all as written) is reported and
harmless: it is ignored when read and truncated by the next write (after a
backup) or by repair. Anything else is corruption, including bytes after the
last record that no writer could have left (zeros, garbage, a damaged last
record): fsck names the file and byte offset and exits with status 3; readers
fail the same way and writers refuse to write until "statstore repair" keeps
the longest valid prefix, after a backup.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := app.fileStoreDir()
			if err != nil {
				return err
			}
			rep, err := filestore.Verify(cmd.Context(), dir)
			if err != nil {
				return err
			}
			if err := printCheck(app.Stdout, out, dir, rep, false); err != nil {
				return err
			}
			if !rep.OK() {
				return &userError{
					msg:  fmt.Sprintf("store %s is corrupt (%s)", dir, firstCorruption(rep)),
					hint: fmt.Sprintf("keep the longest valid prefix of the damaged files with: statstore --store %s repair (it makes a backup first)", dir),
					code: exitCorrupt,
					err:  statstore.ErrCorrupt,
				}
			}
			return nil
		},
	}
	out.register(cmd)
	return cmd
}

func newRepairCmd(app *App) *cobra.Command {
	var out outputFlags
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Repair a file store: keep the longest valid prefix of each damaged file, after a backup",
		Long: `Repair the file store (--store DIR): truncate torn tails and cut every
corrupt file at its first bad record, keeping the longest valid prefix.
A backup of each changed file is made first. Run "statstore fsck" before to
see what will be cut.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := app.fileStoreDir()
			if err != nil {
				return err
			}
			rep, err := filestore.Repair(cmd.Context(), dir, app.log())
			if err != nil {
				return err
			}
			return printCheck(app.Stdout, out, dir, rep, true)
		},
	}
	out.register(cmd)
	return cmd
}

// fileStoreDir returns the --store directory, which must be an existing
// file store (fsck and repair make no sense on PostgreSQL or DaCapo data).
func (a *App) fileStoreDir() (string, error) {
	spec := a.storeSpec()
	switch classify(spec) {
	case kindPostgres:
		return "", &userError{msg: "fsck and repair check a file store directory, not a PostgreSQL database", hint: "pass --store DIR", code: exitUsage}
	case kindHTTP:
		return "", &userError{msg: "fsck and repair check a file store directory, not a statstore server", hint: "run them where the server's --store directory is", code: exitUsage}
	}
	if err := refuseCheck(spec); err != nil { // DaCapo or mixed directory: see store.go
		return "", err
	}
	if st, err := os.Stat(spec); errors.Is(err, fs.ErrNotExist) || (err == nil && !st.IsDir()) {
		return "", &userError{msg: "no store directory at " + spec, hint: "pass --store DIR (or set $" + envStore + ")", err: statstore.ErrNotFound}
	}
	return spec, nil
}

func firstCorruption(rep *filestore.Report) string {
	for _, f := range rep.Files {
		if f.Err != nil {
			return f.Err.Error()
		}
	}
	return "see the report above"
}

// printCheck prints a Verify report, or with repaired a Repair report
// (whose damaged files have been cut to their valid prefix).
func printCheck(w io.Writer, out outputFlags, dir string, rep *filestore.Report, repaired bool) error {
	cr := checkReport{Store: dir, OK: rep.OK(), Files: []fileCheck{}}
	for _, f := range rep.Files {
		fc := fileCheck{Path: f.Path, Size: f.Size, ValidBytes: f.ValidBytes, Records: f.Records, TornTail: f.TornTail,
			NotRegular: f.NotRegular, Backup: f.Backup, Foreign: f.Foreign}
		if f.Err != nil {
			fc.Error = f.Err.Error()
			var ce *statstore.CorruptError
			if errors.As(f.Err, &ce) {
				fc.Corrupt = true
				if ce.Offset >= 0 {
					off := ce.Offset
					fc.Offset = &off
				}
			}
		}
		cr.Files = append(cr.Files, fc)
	}
	if out.json {
		return writeJSON(w, cr)
	}
	t := newTable(w, "FILE", "SIZE", "VALID_BYTES", "RECORDS", "STATUS")
	fixed := 0
	for _, f := range cr.Files {
		status := "ok"
		switch {
		case f.Foreign:
			status = "NOT A STATSTORE FILE (another tool's; repair refuses to run): " + f.Error
		case f.NotRegular:
			status = "NOT A FILE (left alone: move it away by hand): " + f.Error
		case f.Error != "" && repaired && f.Backup != "":
			status = fmt.Sprintf("REPAIRED: kept the first %d bytes (%d records); the damaged file is backed up at %s; was: %s", f.ValidBytes, f.Records, f.Backup, f.Error)
			fixed++
		case f.Error != "" && repaired:
			status = "fixed meanwhile by a writer; was: " + f.Error
		case f.Error != "":
			status = "CORRUPT: " + f.Error
		case f.TornTail && repaired:
			status = "torn tail truncated; the file before is backed up at " + f.Backup
			fixed++
		case f.TornTail:
			status = "torn tail (harmless, truncated on next write)"
		}
		t.row(f.Path, strconv.FormatInt(f.Size, 10), strconv.FormatInt(f.ValidBytes, 10), strconv.Itoa(f.Records), status)
	}
	if err := t.flush(); err != nil {
		return err
	}
	switch {
	case repaired:
		_, err := fmt.Fprintf(w, "%s: %d files, %d repaired\n", dir, len(cr.Files), fixed)
		return err
	case cr.OK:
		_, err := fmt.Fprintf(w, "%s: %d files, ok\n", dir, len(cr.Files))
		return err
	}
	return nil
}
