package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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
	// Kept is the number of entries a repaired file holds (training
	// entries or validation iterations); repair only.
	Kept *int `json:"kept,omitempty"`
	// Lost lists what repair could not keep of a corrupt file.
	Lost []lostRange `json:"lost,omitempty"`
	// Removed: repair removed the file, nothing in it could be kept.
	Removed bool `json:"removed,omitempty"`
	// Notes are decisions repair made that the user should know of.
	Notes []string `json:"notes,omitempty"`
}

// lostRange is one stretch of a file repair could not keep, in JSON.
type lostRange struct {
	Offset int64 `json:"offset"`
	End    int64 `json:"end"`
	// After and Before bound the lost training iterations (exclusive);
	// null when nothing was kept on that side, or in validation files.
	After  *int `json:"after"`
	Before *int `json:"before"`
	// Entries is the number of entries lost; null when the damage hides it.
	Entries *int   `json:"entries"`
	Reason  string `json:"reason"`
	Text    string `json:"text"`
}

// knownInt returns a pointer to n, nil when n is negative (unknown).
func knownInt(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
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
fail the same way and writers refuse to write until "statstore repair" has
salvaged the file (every entry that still verifies is kept), after a backup.`,
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
			return app.reportVerify(out, dir, rep, fmt.Sprintf("store %s is corrupt", dir),
				fmt.Sprintf("keep every entry that still verifies with: statstore --store %s repair (it makes a backup first)", dir))
		},
	}
	out.register(cmd)
	return cmd
}

func newRepairCmd(app *App) *cobra.Command {
	var out outputFlags
	var yes, dryRun bool
	cmd := &cobra.Command{
		Use:   "repair",
		Short: "Repair a file store: keep every entry of a damaged file that still verifies, after a backup",
		Long: `Repair the file store (--store DIR): truncate torn tails and salvage every
corrupt file. Each file is first copied to DIR/.backup/<kind>/<run>.<ns>;
then every checksummed chunk that still verifies is kept, also after the
damage: a flipped byte costs the entries of one chunk (at most 21 training
entries), or one validation record. The report says, per file, how many
entries were kept, which were lost (the iterations around them and, where
the file tells, how many) and where the backup is. The repaired file is
written anew and renamed into place: a crash leaves the old file or the
repaired one. See docs/format.md, "What repair keeps".

On a terminal repair says what it would keep and lose and asks first;
--yes repairs without asking (required when stdin is not a terminal), and
--dry-run only says what it would do.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, err := app.fileStoreDir()
			if err != nil {
				return err
			}
			if dryRun {
				rep, err := filestore.PlanRepair(cmd.Context(), dir)
				if err != nil {
					return err
				}
				return printCheck(app.Stdout, out, dir, rep, checkPlan)
			}
			if !yes {
				ok, err := app.confirmRepair(cmd, dir)
				if err != nil || !ok {
					return err
				}
			}
			rep, err := filestore.Repair(cmd.Context(), dir, app.log())
			if err != nil {
				return err
			}
			return printCheck(app.Stdout, out, dir, rep, checkRepair)
		},
	}
	out.register(cmd)
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "repair without asking (required when stdin is not a terminal)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what repair would keep and lose, and change nothing")
	return cmd
}

// confirmRepair says what repair would keep and lose in the store in dir
// and asks before it changes anything; false when there is nothing to do
// or the user says no.
func (a *App) confirmRepair(cmd *cobra.Command, dir string) (bool, error) {
	if !a.Interactive {
		return false, &userError{
			msg:  "repair asks before it changes a store, and stdin is not a terminal to answer on: nothing changed",
			hint: "pass --yes to repair without asking (it backs every file up first), or --dry-run to see what it would keep and lose",
			code: exitUsage,
			err:  statstore.ErrInvalidArgument,
		}
	}
	rep, err := filestore.PlanRepair(cmd.Context(), dir)
	if err != nil {
		return false, err
	}
	n := 0
	for _, f := range rep.Files {
		if f.Foreign {
			return true, nil // repair refuses the store, changing nothing, and says why
		}
		if (f.Err != nil || f.TornTail) && !f.NotRegular {
			n++
		}
	}
	if n == 0 {
		fmt.Fprintf(a.Stdout, "%s: %d files, nothing to repair\n", dir, len(rep.Files))
		return false, nil
	}
	if err := printCheck(a.Stderr, outputFlags{}, dir, rep, checkPlan); err != nil {
		return false, err
	}
	return a.confirm(fmt.Sprintf("repair %d file(s), after a backup of each to %s?", n, filepath.Join(dir, ".backup")))
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

// checkMode says which report printCheck prints.
type checkMode int

const (
	checkFsck   checkMode = iota // Verify's
	checkRepair                  // Repair's: what each file kept and lost
	checkPlan                    // PlanRepair's: what repair would keep and lose
)

// printCheck prints a Verify, Repair or PlanRepair report.
func printCheck(w io.Writer, out outputFlags, dir string, rep *filestore.Report, mode checkMode) error {
	repaired, planned := mode == checkRepair, mode == checkPlan
	cr := checkReport{Store: dir, OK: rep.OK(), Files: []fileCheck{}}
	for _, f := range rep.Files {
		fc := fileCheck{Path: f.Path, Size: f.Size, ValidBytes: f.ValidBytes, Records: f.Records, TornTail: f.TornTail,
			NotRegular: f.NotRegular, Backup: f.Backup, Foreign: f.Foreign, Removed: f.Removed, Notes: f.Notes}
		if (repaired && f.Backup != "") || (planned && (f.Err != nil || f.TornTail) && !f.NotRegular && !f.Foreign) {
			fc.Kept = &f.Kept
		}
		for _, l := range f.Lost {
			fc.Lost = append(fc.Lost, lostRange{Offset: l.Offset, End: l.End, After: knownInt(l.After), Before: knownInt(l.Before),
				Entries: knownInt(l.Entries), Reason: l.Reason, Text: l.String()})
		}
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
		case f.Error != "" && repaired && f.Removed:
			status = fmt.Sprintf("REMOVED: nothing left to keep; the damaged file is backed up at %s; was: %s", f.Backup, f.Error)
			fixed++
		case f.Error != "" && repaired && f.Backup != "":
			status = fmt.Sprintf("REPAIRED: kept %d entries, lost %s; the damaged file is backed up at %s; was: %s", *f.Kept, lostSummary(f.Lost), f.Backup, f.Error)
			fixed++
		case f.Error != "" && repaired:
			status = "fixed meanwhile by a writer; was: " + f.Error
		case f.Error != "" && planned && f.Removed:
			status = "WOULD REMOVE (after a backup): nothing left to keep; " + f.Error
			fixed++
		case f.Error != "" && planned:
			status = fmt.Sprintf("WOULD KEEP %d entries and lose %s (after a backup); %s", *f.Kept, lostSummary(f.Lost), f.Error)
			fixed++
		case f.Error != "":
			status = "CORRUPT: " + f.Error
		case f.TornTail && repaired:
			status = "torn tail truncated; the file before is backed up at " + f.Backup
			fixed++
		case f.TornTail && planned:
			status = fmt.Sprintf("torn tail: would be truncated (after a backup), keeping %d entries", *f.Kept)
			fixed++
		case f.TornTail:
			status = "torn tail (harmless, truncated on next write)"
		}
		t.row(f.Path, strconv.FormatInt(f.Size, 10), strconv.FormatInt(f.ValidBytes, 10), strconv.Itoa(f.Records), status)
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, f := range cr.Files {
		for _, l := range f.Lost {
			if _, err := fmt.Fprintf(w, "%s: lost %s\n", f.Path, l.Text); err != nil {
				return err
			}
		}
		for _, n := range f.Notes {
			if _, err := fmt.Fprintf(w, "%s: note: %s\n", f.Path, n); err != nil {
				return err
			}
		}
	}
	switch {
	case repaired:
		_, err := fmt.Fprintf(w, "%s: %d files, %d repaired\n", dir, len(cr.Files), fixed)
		return err
	case planned:
		_, err := fmt.Fprintf(w, "%s: %d files, %d to repair\n", dir, len(cr.Files), fixed)
		return err
	case cr.OK:
		_, err := fmt.Fprintf(w, "%s: %d files, ok\n", dir, len(cr.Files))
		return err
	}
	return nil
}

// lostSummary says in a few words how much a repaired file lost.
func lostSummary(lost []lostRange) string {
	if len(lost) == 0 {
		return "nothing"
	}
	n, known := 0, true
	for _, l := range lost {
		if l.Entries == nil {
			known = false
		} else {
			n += *l.Entries
		}
	}
	what := fmt.Sprintf("%d entries", n)
	if !known {
		what = "an unknown number of entries"
		if n > 0 {
			what = fmt.Sprintf("at least %d entries", n)
		}
	}
	return fmt.Sprintf("%s in %d range(s) (listed below)", what, len(lost))
}

// reportVerify prints a Verify report (fsck's or the trash's) and returns
// the corruption error, msg with the first damage, when there is any.
func (a *App) reportVerify(out outputFlags, dir string, rep *filestore.Report, msg, hint string) error {
	if err := printCheck(a.Stdout, out, dir, rep, checkFsck); err != nil {
		return err
	}
	if rep.OK() {
		return nil
	}
	return &userError{
		msg:  fmt.Sprintf("%s (%s)", msg, firstCorruption(rep)),
		hint: hint,
		code: exitCorrupt,
		err:  statstore.ErrCorrupt,
	}
}
