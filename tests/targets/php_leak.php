<?php
// A PHP program with a known leak, for the script-frame tests.
//
//   php8.2 php_leak.php N SIZE GO
//
// Waits until the file GO exists (the tracer has attached), then appends
// N strings of SIZE bytes to a global array from php_leak_site(), called
// as outer() -> Cache::fill() -> php_leak_site(), after churn_site()
// allocated and freed as many.  Each string is one zend_string: 24 bytes
// of header, the text and a NUL, rounded up to 8 (with USE_ZEND_ALLOC=0,
// one malloc of that size; under the Zend allocator a string of 2 MiB or
// more is one mmap of it rounded up to pages).  Then creates GO.done and
// stays alive, as a service would, for the tracer's report (at most 60 s).

$LEAKED = [];

function php_leak_site($n, $size)
{
	global $LEAKED;
	for ($i = 0; $i < $n; $i++) {
		$LEAKED[] = str_repeat("x", $size); // PHP_LEAK_LINE
	}
}

class Cache
{
	public static function fill($n, $size)
	{
		php_leak_site($n, $size); // PHP_FILL_LINE
	}
}

function outer($n, $size)
{
	Cache::fill($n, $size); // PHP_OUTER_LINE
}

function churn_site($n, $size)
{
	for ($i = 0; $i < $n; $i++) {
		$block = str_repeat("y", $size + 1);
		unset($block);
	}
}

$n = (int)$argv[1];
$size = (int)$argv[2];
$go = $argv[3];
// The array's own growth is not the leak under test: its room first.
$LEAKED = array_fill(0, $n, null);
$LEAKED = [];
while (!file_exists($go)) {
	usleep(10000);
}
churn_site($n, $size);
outer($n, $size); // PHP_MAIN_LINE
touch($go . ".done");
sleep(60);
