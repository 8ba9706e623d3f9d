# A Python program with a known leak, for the script-frame tests.
#
#   python3.11 py_leak.py N SIZE GO [THREADS]
#
# Waits until the file GO exists (the tracer has attached), then, in each
# of THREADS threads (default: the main thread alone), appends N bytes
# objects of SIZE bytes to a global list from py_leak_site(), called as
# outer() -> middle() -> py_leak_site() (threads: worker() ->
# thread_leak_site()), after churn_site() allocated and freed as many.
# Then creates GO.done and stays alive, as a service would, for the
# tracer's report (at most 60 s); it never ends through the interpreter's
# finalization, which would free the list.
import os
import sys
import threading
import time

LEAKED = []


def py_leak_site(n, size):
    for _ in range(n):
        LEAKED.append(bytes(size))  # PY_LEAK_LINE


def middle(n, size):
    py_leak_site(n, size)  # PY_MIDDLE_LINE


def outer(n, size):
    middle(n, size)  # PY_OUTER_LINE


def churn_site(n, size):
    for _ in range(n):
        block = bytes(size + 1)
        del block


def thread_leak_site(n, size):
    for _ in range(n):
        LEAKED.append(bytes(size))  # PY_THREAD_LEAK_LINE


def worker(n, size):
    thread_leak_site(n, size)  # PY_WORKER_LINE


def main():
    n, size, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    while not os.path.exists(go):
        time.sleep(0.01)
    churn_site(n, size)
    if threads:
        ts = [threading.Thread(target=worker, args=(n, size)) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    else:
        outer(n, size)  # PY_MAIN_LINE
    open(go + ".done", "w").close()
    time.sleep(60)
    os._exit(0)


main()
