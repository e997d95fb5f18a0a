# Reference for vigilo-version's RubyGems differential tests (tests/it/rubygems.rs):
# Gem::Version of the Ruby on PATH (Debian: `apt-get install ruby`).
#
#   ruby rubygems_cmp.rb COMMAND < lines
#
# Every input line is a JSON array of strings. COMMAND:
#   valid   [v] per line -> "1" if Gem::Version.correct?(v), else "0"
#   cmp     [a, b] per line -> Gem::Version.new(a) <=> Gem::Version.new(b): "-1", "0" or "1"
#   rank    [v] per line (all valid) -> its dense rank in the sorted list (equal
#           versions share a rank), in input order
#   info    one line: the RubyGems version
require 'json'
require 'rubygems'

command = ARGV[0]
lines = $stdin.binmode.read.force_encoding(Encoding::UTF_8).split("\n").reject(&:empty?)
input = lines.map { |l| JSON.parse(l) }
out = []

case command
when 'valid'
  input.each { |(v)| out << (Gem::Version.correct?(v) ? '1' : '0') }
when 'cmp'
  input.each { |(a, b)| out << (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s }
when 'rank'
  items = input.each_with_index.map { |(v), i| [Gem::Version.new(v), i] }
  items.sort! { |x, y| x[0] <=> y[0] }
  ranks = Array.new(items.size)
  rank = 0
  items.each_with_index do |(version, i), k|
    rank += 1 if k > 0 && (items[k - 1][0] <=> version) != 0
    ranks[i] = rank
  end
  out.concat(ranks.map(&:to_s))
when 'info'
  out << Gem::VERSION
else
  raise ArgumentError, "unknown command #{command}"
end

$stdout.write(out.map { |l| "#{l}\n" }.join)
