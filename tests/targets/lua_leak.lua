-- The Lua module of tests/integration/test_scripts_lua.sh, run by nginx's
-- Lua module (content_by_lua_block).  /leak keeps two tables of 25000
-- array slots per request in a module-level table; /churn makes three and
-- drops them.  Each table's array (25001 slots, 200008 bytes) is one of
-- LuaJIT's direct mappings: 200704 bytes (page-aligned with its header),
-- so counts and bytes are exact; collectgarbage() at the end of /churn
-- unmaps what it dropped.  /trace keeps 2000 small tables a request from
-- a loop LuaJIT compiles (a trace): they come from its heap, mapped
-- 128 KiB at a time, so only the frames are known.  Lines are those of
-- "-- MARKER".
local new_tab = require("table.new")
local M = {}
local kept = {}

local function lua_leak_site(n)
	for i = 1, n do kept[#kept + 1] = new_tab(25000, 0) end -- LUA_LEAK_LINE
end

local function middle(n)
	lua_leak_site(n) -- LUA_MIDDLE_LINE
	return #kept
end

local function lua_churn_site(n)
	local t = {}
	for i = 1, n do t[i] = new_tab(25000, 0) end
	return #t
end

function M.handle_leak()
	local count = middle(2) -- LUA_HANDLE_LINE
	ngx.say("kept ", count)
end

local small = {}

local function lua_trace_site(n)
	for i = 1, n do small[#small + 1] = { i, i } end -- LUA_TRACE_LINE
end

function M.handle_trace()
	lua_trace_site(2000) -- LUA_TRACE_CALL_LINE
	ngx.say("small ", #small)
end

function M.handle_churn()
	local count = lua_churn_site(3)
	collectgarbage()
	ngx.say("churn ", count)
end

return M
