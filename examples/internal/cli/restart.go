package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/purebpf/bpf"
	"github.com/purebpf/bpf/attach"
)

// AttachXDP attaches prog to iface as opts ask (attach.XDP). When the
// hook already holds a program of the same name as prog, a stale
// instance of the same example (left by a run that was killed, or kept
// with -keep), it replaces exactly that program, atomically: through
// netlink, in the mode it runs in, expecting its id, so that a program
// attached meanwhile is not replaced either. It says so on w. A program
// of another name is left alone: the error (attach.ErrExists) names it,
// and -force replaces it.
func AttachXDP(w io.Writer, iface attach.Interface, prog *bpf.Program, opts attach.XDPOptions) (*attach.XDPAttachment, error) {
	att, err := attach.XDP(iface, prog, opts)
	var ae *attach.Error
	if err == nil || !errors.Is(err, attach.ErrExists) || !errors.As(err, &ae) || ae.Holder == 0 {
		return att, err
	}
	stale, serr := bpf.ProgramFromID(ae.Holder)
	if serr != nil {
		return nil, err
	}
	info, ierr := stale.Info()
	stale.Close()
	if ierr != nil || info.Name != prog.Name() {
		return nil, err // someone else's program
	}
	st, serr := attach.XDPPrograms(iface)
	if serr != nil {
		return nil, err
	}
	o := opts
	o.Method, o.Replace, o.ExpectedProgram = attach.MethodNetlink, false, ae.Holder
	for _, p := range st.Programs {
		if p.ProgramID == ae.Holder {
			o.Mode = p.Mode
		}
	}
	att, err = attach.XDP(iface, prog, o)
	if err != nil {
		return nil, fmt.Errorf("replace the stale %s (program id %d): %w", info.Name, ae.Holder, err)
	}
	fmt.Fprintf(w, "Replaced the stale %s (program id %d) an earlier run left attached.\n", info.Name, ae.Holder)
	return att, nil
}
