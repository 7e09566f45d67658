package io.github.leanpo.cli;

import io.github.leanpo.engine.CudaBackend;
import io.github.leanpo.nativelib.NativeCalls;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.Loader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code leanpo info}: what this installation has and where it came from. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print the version, the native library and where it was loaded from, CPU features, threads and CUDA status.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
        Map<String, Object> m = new LinkedHashMap<>();
        String v = Main.class.getPackage().getImplementationVersion();
        m.put("version", v != null ? v : "development build");
        m.put("native_version", NativeCalls.version());
        m.put("native_library", NativeCalls.loadedFrom());
        m.put("platform", Loader.getPlatform());
        m.put("cpu_isa", NativeCalls.cpuIsa());
        m.put("threads", NativeCalls.threads());
        m.put("hardware_threads", Runtime.getRuntime().availableProcessors());
        boolean cuda = NativeCalls.cudaCompiled();
        m.put("cuda_compiled", cuda);
        m.put("cuda_devices", NativeCalls.cudaDeviceCount());
        m.put("cuda_status", NativeCalls.cudaStatus());
        String why = CudaBackend.unavailableReason();
        m.put("cuda_backend", why == null ? "available (auto uses it)" : "unavailable (auto uses the CPU): " + why);
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(m));
        } else {
            m.forEach((k, val) -> out.printf("%-17s %s%n", k, val));
        }
        return 0;
    }
}
