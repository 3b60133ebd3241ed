#!/usr/bin/python3
# A stand-in for mock on a test agent. Debian 12 has no mock, and a real mock would install an EL
# build root from repositories these tests cannot reach; so this checks what the executor asks of
# mock and builds the way mock would, without the chroot:
# - the command line: -r with the path of a .cfg file, --resultdir, and --buildsrpm with --spec and
#   --sources, or --rebuild with an SRPM (anything else is an error, as mock's parser makes it);
# - the configuration is loaded as mock loads it (exec'd with a config_opts dictionary), and each
#   call is recorded with what it set ($HOME/mock-calls.jsonl) for the tests to read;
# - the host's rpmbuild builds with the configuration's macros and target arch (mock passes the
#   macros into its chroot and --target to rpmbuild); the build's output goes to stdout, as mock's
#   print_main_output does; results and mock's log files are written to --resultdir, the SRPM
#   included after a rebuild, as mock writes them.
import argparse, collections, glob, json, os, shutil, subprocess, sys, tempfile

parser = argparse.ArgumentParser(prog='mock')
parser.add_argument('-r', '--root', required=True)
parser.add_argument('--resultdir', required=True)
mode = parser.add_mutually_exclusive_group(required=True)
mode.add_argument('--buildsrpm', action='store_true')
mode.add_argument('--rebuild', metavar='SRPM')
parser.add_argument('--spec')
parser.add_argument('--sources')
args = parser.parse_args()
if not args.root.endswith('.cfg') or not os.path.isfile(args.root):
    sys.exit(f'ERROR: Could not find required config file: {args.root}')
if args.buildsrpm and not (args.spec and args.sources):
    sys.exit('ERROR: --buildsrpm needs --spec and --sources')

tree = lambda: collections.defaultdict(tree)
config_opts = tree()
with open(args.root, encoding='utf-8') as f:
    exec(compile(f.read(), args.root, 'exec'), {'config_opts': config_opts})
target = config_opts['target_arch']
macros = dict(config_opts['macros'])
with open(os.path.join(os.environ['HOME'], 'mock-calls.jsonl'), 'a', encoding='utf-8') as f:
    f.write(json.dumps({'mode': 'buildsrpm' if args.buildsrpm else 'rebuild', 'root': config_opts['root'],
                        'target_arch': target, 'macros': macros}) + '\n')

result = os.path.abspath(args.resultdir)
os.makedirs(result, exist_ok=True)
top = tempfile.mkdtemp(prefix='mock-standin-')
defines = [x for name, value in macros.items() for x in ('--define', f'{name.lstrip("%")} {value}')]
print(f'INFO: mock stand-in: building in {config_opts["root"]} for {target}', flush=True)
if args.buildsrpm:
    command = ['rpmbuild', '-bs', '--define', f'_topdir {top}', '--define', f'_sourcedir {os.path.abspath(args.sources)}',
               '--define', f'_srcrpmdir {result}', *defines, args.spec]
else:
    command = ['rpmbuild', '--rebuild', '--nodeps', '--target', target, '--define', f'_topdir {top}',
               '--define', f'_rpmdir {top}/RPMS', '--define', f'_srcrpmdir {top}/SRPMS', *defines, args.rebuild]
status = subprocess.call(command, stdout=sys.stdout, stderr=sys.stdout)
with open(os.path.join(result, 'root.log'), 'w', encoding='utf-8') as f:
    f.write(f'DEBUG: stand-in build root {config_opts["root"]}, no chroot\n')
    f.write(f'DEBUG: rpmbuild exited with {status}\n')
with open(os.path.join(result, 'state.log'), 'w', encoding='utf-8') as f:
    f.write('Start: build phase\nFinish: build phase\n')
if status != 0:
    print('ERROR: Exception(...) Config(...) - see root.log and build.log', flush=True)
    sys.exit(30)
if args.rebuild:
    for rpm in glob.glob(f'{top}/RPMS/*/*.rpm') + glob.glob(f'{top}/SRPMS/*.src.rpm'):
        shutil.copy(rpm, result)
    if not glob.glob(f'{result}/*.src.rpm'):
        shutil.copy(args.rebuild, result)
shutil.rmtree(top)
