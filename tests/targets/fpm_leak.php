<?php
// A php-fpm request with a known leak, for the script-frame tests.
//
//   GET fpm_leak.php?site=a|b&n=N&size=SIZE&done=FILE
//
// Keeps N strings of SIZE bytes (2 MiB or more: each one mmap under the
// Zend allocator) from fpm_leak_a() or fpm_leak_b(), creates FILE and then
// holds its worker (and so the strings) for the tracer's report.

function fpm_leak_a($n, $size, &$keep)
{
	for ($i = 0; $i < $n; $i++) {
		$keep[] = str_repeat("a", $size); // FPM_A_LINE
	}
}

function fpm_leak_b($n, $size, &$keep)
{
	for ($i = 0; $i < $n; $i++) {
		$keep[] = str_repeat("b", $size); // FPM_B_LINE
	}
}

$keep = [];
$n = (int)$_GET["n"];
$size = (int)$_GET["size"];
if ($_GET["site"] === "a") {
	fpm_leak_a($n, $size, $keep); // FPM_MAIN_A_LINE
} else {
	fpm_leak_b($n, $size, $keep); // FPM_MAIN_B_LINE
}
touch($_GET["done"]);
echo getmypid();
sleep(60);
