import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Unsafe;

/*
 * LeakyCache N SIZE GO_FILE: prints "ready"; once GO_FILE exists,
 * LeakyCache.grow allocates N blocks of SIZE bytes off-heap with
 * Unsafe.allocateMemory (os::malloc, then malloc, in the JVM) and never
 * frees them; then prints "done" and idles until killed.  Compiled with
 * javac by the test (tests/integration/test_unwind.sh); grow is hot, so it
 * is JIT-compiled while it runs.
 */
public class LeakyCache {
	private static final Unsafe UNSAFE = unsafe();
	private final List<Long> blocks = new ArrayList<>();

	private static Unsafe unsafe() {
		try {
			Field f = Unsafe.class.getDeclaredField("theUnsafe");
			f.setAccessible(true);
			return (Unsafe) f.get(null);
		} catch (ReflectiveOperationException e) { /* not a HotSpot-like JVM */
			throw new IllegalStateException(e);
		}
	}

	long grow(long size) {
		long addr = UNSAFE.allocateMemory(size);
		blocks.add(addr);
		return addr;
	}

	public static void main(String[] args) throws Exception {
		int n = Integer.parseInt(args[0]);
		long size = Long.parseLong(args[1]);
		Path go = Path.of(args[2]);
		LeakyCache cache = new LeakyCache();

		System.out.println("ready");
		System.out.flush();
		while (!Files.exists(go))
			Thread.sleep(10);
		for (int i = 0; i < n; i++)
			cache.grow(size);
		System.out.println("done");
		System.out.flush();
		Thread.sleep(600000);
	}
}
