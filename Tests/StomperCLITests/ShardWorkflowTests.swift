import Foundation
import StomperProcess
import StomperTestSupport
import Testing

/// The sharded examples (`Demos/ci/github-matrix.yml`, `Demos/ci/gitlab-parallel.yml`,
/// `Demos/k8s/stomper-shards.yaml`) have the shape sharding needs: one shard per index, a bundle
/// or artifact of its own per shard, a land step that waits for every shard, no expression
/// spliced into a script, and scripts `sh -n` accepts. Parsed with PyYAML, as `CIWorkflowTests`
/// does; once `fix --shard`/`--bundle` and `land` parse, these files belong in its list too.
@Suite(.tags(.unit)) struct ShardWorkflowTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Prints `{"documents": n, "problems": [...]}`: each problem names the file and what is wrong.
    static let checker = #"""
        import json, subprocess, sys, yaml
        github, gitlab, k8s = sys.argv[1:4]
        problems = []
        def check(condition, file, what):
            if not condition:
                problems.append(file.rsplit("/", 1)[-1] + ": " + what)
        def scripts(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "run" and isinstance(value, str):
                        yield value
                    elif key in ("script", "before_script", "after_script", "args") and isinstance(value, list):
                        yield "\n".join(v for v in value if isinstance(v, str))
                    elif key == "setup.sh":
                        yield value
                    else:
                        yield from scripts(value)
            elif isinstance(node, list):
                for value in node:
                    yield from scripts(value)
        documents = {}
        for name in (github, gitlab, k8s):
            documents[name] = list(yaml.safe_load_all(open(name)))
            for document in documents[name]:
                for script in scripts(document):
                    check("${{" not in script, name, "an expression spliced into a script: " + script.split("\n")[0])
                    result = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True)
                    check(result.returncode == 0, name, "sh -n refuses a script: " + result.stderr.strip())

        # GitHub: plan → a matrix of shards → land.
        workflow = documents[github][0]
        jobs = workflow["jobs"]
        check(workflow.get("permissions") == {"contents": "read"}, github, "the workflow's token must be read-only")
        check(set(jobs) == {"plan", "fix", "land"}, github, "jobs plan, fix, land")
        check(any("stomper check --json" in s for s in scripts(jobs["plan"])), github, "plan counts with stomper check --json")
        check("total" in jobs["plan"].get("outputs", {}), github, "plan outputs total")
        fix = jobs["fix"]
        check(fix.get("needs") in ("plan", ["plan"]), github, "fix needs plan")
        check("needs.plan.outputs" in str(fix["strategy"]["matrix"].get("shard")), github, "the matrix comes from plan")
        check(fix.get("permissions") is None, github, "shards keep the read-only token")
        runs = [step for step in fix["steps"] if "--shard" in step.get("run", "")]
        check(len(runs) == 1 and "--bundle out/" in runs[0]["run"], github, "one fix --shard … --bundle out/ step")
        check(runs and "matrix.shard" in runs[0].get("env", {}).get("SHARD", "")
              and "needs.plan.outputs.total" in runs[0]["env"]["SHARD"], github, "SHARD=I/N through env:")
        uploads = [s for s in fix["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
        check(len(uploads) == 1 and uploads[0]["with"]["name"] == "stomper-shard-${{ matrix.shard }}"
              and uploads[0]["with"]["path"] == "out/", github, "each shard uploads out/ as stomper-shard-<i>")
        land = jobs["land"]
        check(set(land.get("needs", [])) == {"plan", "fix"}, github, "land needs every shard (the whole fix matrix)")
        check(land.get("permissions") == {"contents": "write"}, github, "only land may push")
        downloads = [s["with"] for s in land["steps"] if s.get("uses", "").startswith("actions/download-artifact")]
        check({"pattern": "stomper-shard-*", "path": "out"} in downloads, github, "land downloads every stomper-shard-*")
        landing = "\n".join(scripts(land))
        check('land out/*' in landing and "git push" in landing, github, "land runs stomper land out/* and pushes")

        # GitLab: parallel shard jobs reading CI_NODE_INDEX/TOTAL, then land.
        pipeline = documents[gitlab][0]
        check(pipeline["stages"] == ["fix", "land"], gitlab, "stages fix, land")
        shard = pipeline["stomper-shard"]
        check(shard.get("parallel") == 4 and shard.get("stage") == "fix", gitlab, "parallel: 4 in stage fix")
        fixing = "\n".join(shard["script"])
        check("stomper fix --bundle" in fixing and "--shard" not in fixing, gitlab, "the shard comes from CI_NODE_INDEX, not --shard")
        check('"out/shard-$CI_NODE_INDEX"' in fixing and shard["artifacts"]["paths"] == ["out/"], gitlab, "one bundle folder per shard")
        lander = pipeline["stomper-land"]
        check(lander.get("stage") == "land" and lander.get("needs") == [{"job": "stomper-shard", "artifacts": True}], gitlab,
              "land needs every stomper-shard job with artifacts")
        check(any("stomper land out/shard-*" in line for line in lander["script"]), gitlab, "land runs stomper land")

        # Kubernetes: an Indexed Job of N pods writing /bundles/shard-<index>, and a lander.
        kinds = {(d["kind"], d["metadata"]["name"]): d for d in documents[k8s]}
        claim = "stomper-bundles"
        check(("PersistentVolumeClaim", claim) in kinds, k8s, "a volume claim for the bundles")
        check(kinds.get(("PersistentVolumeClaim", claim), {}).get("spec", {}).get("accessModes") == ["ReadWriteMany"], k8s,
              "the bundles' volume is shared: ReadWriteMany")
        def pod(job):
            return kinds[("Job", job)]["spec"]["template"]["spec"]
        def env(job):
            return {e["name"]: e.get("value") for e in pod(job)["containers"][0]["env"]}
        def mounts_bundles(job):
            volumes = {v["name"]: v for v in pod(job)["volumes"]}
            return any(m["mountPath"] == "/bundles" and volumes[m["name"]].get("persistentVolumeClaim", {}).get("claimName") == claim
                       for m in pod(job)["containers"][0]["volumeMounts"])
        shards = kinds[("Job", "stomper-shards")]["spec"]
        total = int(env("stomper-shards")["STOMPER_SHARD_TOTAL"])
        check(shards.get("completionMode") == "Indexed", k8s, "completionMode: Indexed")
        check(shards.get("completions") == shards.get("parallelism") == total, k8s, "completions = parallelism = STOMPER_SHARD_TOTAL")
        check(mounts_bundles("stomper-shards") and mounts_bundles("stomper-land"), k8s, "both Jobs mount the claim at /bundles")
        shard_script = "\n".join(pod("stomper-shards")["containers"][0]["args"])
        check('stomper fix --bundle "/bundles/shard-$JOB_COMPLETION_INDEX"' in shard_script, k8s, "each pod writes /bundles/shard-<index>")
        check(int(env("stomper-land")["STOMPER_SHARD_TOTAL"]) == total, k8s, "the lander expects as many shards")
        check("stomper land" in "\n".join(pod("stomper-land")["containers"][0]["args"]), k8s, "the lander runs stomper land")
        print(json.dumps({"documents": sum(len(d) for d in documents.values()), "problems": problems}))
        """#

    @Test func shardedExamplesHaveTheShapeShardingNeeds() async throws {
        let files = ["Demos/ci/github-matrix.yml", "Demos/ci/gitlab-parallel.yml", "Demos/k8s/stomper-shards.yaml"].map { Self.root + "/" + $0 }
        let result = try await ProcessRunner.run(
            ProcessSpec(executable: "python3", arguments: ["-c", Self.checker] + files, timeout: .seconds(60)))
        try #require(result.exitCode == 0, "the checker failed (is PyYAML installed?): \(result.stderrText)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.standardOutput)) as? [String: Any])
        #expect(report["documents"] as? Int == 6)
        #expect((report["problems"] as? [String]) == [], "\(report["problems"] ?? "")")
    }
}
