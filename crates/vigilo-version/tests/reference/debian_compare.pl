#!/usr/bin/perl
# Reference for the Debian differential tests (crates/vigilo-version/tests/it/debian.rs):
# runs dpkg's own C comparison, `dpkg --compare-versions -- A OP B`, once per
# question (dpkg has no batch mode), capturing its warnings and errors.
#
#   perl debian_compare.pl MODE < input
#
# Input: NUL-terminated fields (versions may hold any character but NUL).
# Modes, one output line per record:
#   check  V           -> "ok", or "bad: <dpkg's message>" when dpkg reports
#                         bad syntax (an error, or a warning it compares past)
#   cmp    A, B, HINT  -> -1, 0 or 1 (A against B), or "bad: <message>";
#                         HINT (lt, eq or gt) is the relation to ask first,
#                         so that one dpkg run answers when it holds
use strict;
use warnings;

# Runs dpkg; returns (exit status, stderr and stdout together).
sub dpkg {
    my @args = @_;
    my $pid = open(my $fh, '-|');
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT) or die "dup: $!";
        { no warnings 'exec'; exec { 'dpkg' } 'dpkg', '--compare-versions', '--', @args; }
        print "cannot run dpkg: $!\n";
        exit 127;
    }
    local $/;
    my $out = <$fh> // '';
    close($fh);
    my $rc = $? >> 8;
    die "cannot run dpkg: $out" if $rc == 127;
    $out =~ s/\s+/ /g;
    $out =~ s/ $//;
    return ($rc, $out);
}

my $mode = shift // '';
my @fields = do { local $/ = "\0"; my @f = <STDIN>; chomp @f; @f };

if ($mode eq 'check') {
    for my $v (@fields) {
        my ($rc, $msg) = dpkg($v, 'eq', $v);
        print(($msg eq '' && $rc <= 1) ? "ok\n" : "bad: $msg\n");
    }
} elsif ($mode eq 'cmp') {
    die "cmp takes triples\n" if @fields % 3;
    my %answer = (lt => -1, eq => 0, gt => 1);
    while (my ($x, $y, $hint) = splice(@fields, 0, 3)) {
        die "bad hint $hint\n" unless exists $answer{$hint};
        my ($rc, $msg) = dpkg($x, $hint, $y);
        if ($msg ne '' || $rc > 1) {
            print "bad: $msg\n";
            next;
        }
        if ($rc == 0) {
            print "$answer{$hint}\n";
            next;
        }
        # The hinted relation does not hold: ask a second one; if neither
        # holds, the answer is the third (eq after lt or gt, gt after eq).
        my $other = $hint eq 'lt' ? 'gt' : 'lt';
        my ($rc2, $msg2) = dpkg($x, $other, $y);
        die "dpkg: $msg2\n" if $rc2 > 1;
        my $third = $hint eq 'eq' ? 1 : 0;
        print(($rc2 == 0 ? $answer{$other} : $third) . "\n");
    }
} else {
    die "usage: debian_compare.pl check|cmp < NUL-separated input\n";
}
