namespace Albs.Modules.Builds.Execution;

/// <summary>The constant shell scripts a task runs on its agent.</summary>
internal sealed partial class TaskExecutor
{
    // Constant scripts; every value reaches them as a quoted positional argument. The build parts
    // are internal for the overhead benchmark, whose plain-rpmbuild baseline runs them without the
    // transfer around them. rpmbuild gets fd 3 (the results channel, below) closed. They use the
    // shell's builtins where a builtin does (each other process is a fork and an exec on the agent,
    // a few per task that a burst of builds pays a hundredfold): the process group is read from
    // /proc with `read`, the spec found with a glob.

    // Which tool builds, in the work directory (ADR 0021): mock, with the task's generated configuration,
    // when that is among the inputs and the agent has mock; else rpmbuild with the same options as
    // defines. A failed mock build shows the end of its root.log (the build root's installation).
    private const string ChooseBuilderScript = """
        mock_failed() { if [ -f out/root.log ]; then echo "albs: the end of mock's root.log:"; tail -n 100 out/root.log; fi; }
        builder=rpmbuild
        if [ -f mock.cfg ] && command -v mock >/dev/null 2>&1; then builder=mock; fi
        """;

    internal const string SrpmBuildScript = """
        set -eu
        work=$1; shift
        cd "$work"
        mkdir -p src out rpmbuild
        tar -xf source.tar -C src
        spec=
        for f in src/SPECS/*.spec; do if [ -f "$f" ]; then spec=$f; sources=src/SOURCES; break; fi; done
        if [ -z "$spec" ]; then for f in src/*.spec; do if [ -f "$f" ]; then spec=$f; sources=src; break; fi; done; fi
        if [ -z "$spec" ]; then echo "albs: no spec file at the top level or in SPECS/" >&2; exit 2; fi
        mkdir -p "$sources"
        if [ -f lookaside.tar ]; then
            if [ -L "$sources" ]; then echo "albs: $sources is a symbolic link" >&2; exit 2; fi
            tar -xf lookaside.tar -C "$sources"
        fi
        """ + "\n" + ChooseBuilderScript + "\n" + """
        echo "albs: building SRPM from $spec with $builder"
        if [ "$builder" = mock ]; then
            mock -r "$PWD/mock.cfg" --buildsrpm --spec "$spec" --sources "$sources" --resultdir "$PWD/out" 3>&- || { status=$?; mock_failed; exit "$status"; }
        else
            rpmbuild -bs --define "_topdir $PWD/rpmbuild" --define "_sourcedir $PWD/$sources" --define "_srcrpmdir $PWD/out" "$@" -- "$spec" 3>&-
        fi
        """;

    internal const string RebuildBuildScript = """
        set -eu
        work=$1; target=$2; shift 2
        cd "$work"
        read -r _ _ _ _ pgid _ < /proc/$$/stat; echo "$pgid" > pgid
        mkdir -p out rpmbuild
        """ + "\n" + ChooseBuilderScript + "\n" + """
        if [ "$builder" = mock ]; then
            echo "albs: rebuilding for $target with mock"
            mock -r "$PWD/mock.cfg" --rebuild package.src.rpm --resultdir "$PWD/out" 3>&- || { status=$?; mock_failed; exit "$status"; }
            rm -f -- out/*.src.rpm
        else
            rpmbuild --rebuild --nodeps --target "$target" --define "_topdir $PWD/rpmbuild" --define "_rpmdir $PWD/out" "$@" -- package.src.rpm 3>&-
        fi
        """;

    // An SRPM task's session: receive, build the SRPM, send its results framed by their length, and
    // when the inputs hold a "continue" file (a token) go on with an arch task if the server says so.
    private const string SrpmScript = ReceiveScript + "\n" + SrpmBuildScript + "\n" + FramedPackScript + "\n"
        + ContinueScript + "\n" + RebuildBuildScript + "\n" + PackScript;

    private const string RebuildScript = ReceiveScript + "\n" + RebuildBuildScript + "\n" + PackScript;

    // The start of both task scripts: the work directory is made, the session's own stdout becomes fd 3
    // (the results channel) and everything else printed goes to stderr (the task's log, line by line);
    // the inputs arrive on stdin as one tar (source.tar and lookaside.tar, or package.src.rpm; and mock.cfg) that the
    // server writes, so a task is one ssh session: inputs in, log and results out.
    // The work directory may be relative (to the agent user's home, where the session starts): the
    // build scripts change into it themselves, so this one does not.
    // The process group is written here, before the inputs arrive, so a cancel can stop the session
    // from the start; the rebuild writes it again in its own directory (an SRPM task's session goes on there).
    private const string ReceiveScript = """
        set -eu
        start=$PWD
        mkdir -p -- "$1"
        exec 3>&1 1>&2
        read -r _ _ _ _ pgid _ < /proc/$$/stat; echo "$pgid" > "$1/pgid"
        tar -xf - -C "$1"
        """;

    // After rpmbuild succeeded, in the work directory: the results' sha256 as the agent computes them
    // and their names (one find), then one tar of the list and the packages.
    private const string SumsScript = """
        find out -type f -name '*.rpm' -fprint0 results.list -exec sha256sum -- {} + > SHA256SUMS
        """;

    // The end of a session: the results tar is the rest of the results channel.
    private const string PackScript = SumsScript + """

        tar --null -cf - SHA256SUMS -T results.list >&3
        """;

    // The end of the SRPM step: its results tar after its length in bytes on a line, so the session can
    // go on writing the arch step's results after it.
    private const string FramedPackScript = SumsScript + """

        tar --null -cf results.tar SHA256SUMS -T results.list
        wc -c < results.tar >&3
        cat results.tar >&3
        """;

    // Going on with an arch task in the SRPM task's session: the marker line (with the session's token)
    // tells the server that the SRPM's log is complete; the server answers on stdin (the inputs tar was
    // padded to whole tar records, so tar read none of it) with "rebuild <arch> <work directory>" or
    // "stop". The SRPM moves to the arch task's work directory, the SRPM task's directory is removed
    // beside the rebuild (nothing of it is left to clean up), and the rebuild below runs there with the
    // same defines.
    private const string ContinueScript = """
        [ "$builder" = rpmbuild ] && [ -f continue ] || exit 0
        read -r token < continue || : # the token has no newline after it
        echo "albs-step $token"
        read -r step target next || exit 0
        [ "$step" = rebuild ] || exit 0
        cd "$start"
        mkdir -p -- "$next"
        mv -- "$work"/out/*.src.rpm "$next/package.src.rpm"
        rm -rf -- "$work" >/dev/null 2>&1 3>&- </dev/null &
        set -- "$next" "$target" "$@"
        """;

    private const string StepMarker = "albs-step ";

    // The task's generated mock configuration, among the inputs: an agent that has mock builds with it
    // (its macros carry the platform's and the build's options), one without builds with rpmbuild and
    // the same options as defines.
    private const string MockConfigInput = "mock.cfg";

    // GNU tar reads an archive from a pipe in records of 20 blocks: an input padded to whole records
    // leaves whatever follows it on stdin unread.
    private const int TarRecord = 20 * 512;

    // sshd starts each command in a session of its own: killing that process group stops the
    // whole build on the agent (rpmbuild, compilers, %check), which closing ssh alone would not.
    // Numeric signals: dash's kill builtin takes "-15 -PGID" but not "-TERM -- -PGID".
    private const string KillScript = """
        pgid=$(cat "$1/pgid" 2>/dev/null) || exit 0
        kill -15 "-$pgid" 2>/dev/null || exit 0
        sleep 2
        kill -9 "-$pgid" 2>/dev/null || true
        """;
}
