-- Runs an Argo CD Lua health check the way Argo CD does (a global `obj`; the chunk returns
-- {status, message}) against HorizontalPodAutoscaler conditions, and checks each verdict.
-- usage: lua5.1 argocd-health-test.lua HEALTH.lua
local chunk = assert(loadfile(arg[1]))
local function run(status)
  obj = {apiVersion = "autoscaling/v2", kind = "HorizontalPodAutoscaler", status = status}
  return chunk()
end
local function conditions(...)
  local list = {}
  for _, c in ipairs({...}) do
    table.insert(list, {type = c[1], status = c[2], reason = c[3], message = c[4]})
  end
  return {conditions = list}
end
local cases = {
  {"no status yet", nil, "Progressing"},
  {"metrics missing (no metrics-server)", conditions(
    {"AbleToScale", "True", "SucceededGetScale", "the HPA controller was able to get the target's current scale"},
    {"ScalingActive", "False", "FailedGetResourceMetric", "unable to get metrics for resource cpu"}), "Healthy"},
  {"container metrics missing", conditions(
    {"ScalingActive", "False", "FailedGetContainerResourceMetric", "no metrics"}), "Healthy"},
  {"scale target missing", conditions(
    {"AbleToScale", "False", "FailedGetScale", "deployments/istiod not found"}), "Degraded"},
  {"cannot scale", conditions(
    {"AbleToScale", "False", "FailedUpdateScale", "forbidden"}), "Degraded"},
  {"invalid selector", conditions(
    {"AbleToScale", "True", "SucceededGetScale", "ok"},
    {"ScalingActive", "False", "InvalidSelector", "bad selector"}), "Degraded"},
  {"scaling", conditions(
    {"AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"},
    {"ScalingActive", "True", "ValidMetricFound", "ok"},
    {"ScalingLimited", "False", "DesiredWithinRange", "in range"}), "Healthy"},
}
local failed = 0
for _, case in ipairs(cases) do
  local hs = run(case[2])
  local ok = hs.status == case[3] and type(hs.message) == "string"
  if not ok then failed = failed + 1 end
  print((ok and "ok   " or "FAIL ") .. case[1] .. ": " .. tostring(hs.status) .. " (" .. tostring(hs.message) .. ")")
end
if failed > 0 then os.exit(1) end
